// When a change to a filter control should filter, for the list's and the map's live filters
// (static/js/filters.js, static/js/map.js). Returns "now", "typing" (after a pause in the
// typing) or null (not for this event):
// - a field with suggestions (the actor's name): as soon as its text is one of them, or on
//   change (Enter, or the focus leaving it), never on a half-typed name;
// - typed text and numbers: after a pause in the typing;
// - the other controls (checkboxes, menus): on change.
export function filterTiming(event) {
  const element = event.target;
  if (element.list) {
    const suggested = [...element.list.options].some((option) => option.value === element.value);
    return event.type === "change" || suggested ? "now" : null;
  }
  const typed = element.matches("input[type=search], input[type=text], input[type=number]");
  if (event.type === "input") return typed ? "typing" : null;
  return typed ? null : "now";
}
