// Every page: the header's menu is open on a wide screen, where it has room (the CSS does it
// alone in browsers that support ::details-content).
const menu = document.getElementById("site-menu");
if (menu && window.matchMedia("(min-width: 60em)").matches) menu.open = true;
