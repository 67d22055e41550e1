"""Read a form out of a page as a browser would submit it, for tests that post it back."""

from html.parser import HTMLParser

TEXT_INPUTS = {"text", "hidden", "number", "url", "email", "date", "time", "search", "tel"}


def form_data(response, form_id):
    """{name: [values]} of the form with this id, as submitting it unchanged would send."""
    reader = FormReader(form_id)
    reader.feed(response.content.decode())
    return reader.values


class FormReader(HTMLParser):
    def __init__(self, form_id):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.values = {}
        self.select = None  # [name, option values, selected values, multiple]
        self.textarea = None  # [name, text]

    def add(self, name, value):
        self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "option" and self.select:
            self.select[1].append(attrs.get("value", ""))
            if "selected" in attrs:
                self.select[2].append(attrs.get("value", ""))
        elif "name" not in attrs:
            return
        elif tag == "input":
            kind = attrs.get("type", "text")
            if kind in TEXT_INPUTS or (kind in ("checkbox", "radio") and "checked" in attrs):
                self.add(attrs["name"], attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "textarea":
            self.textarea = [attrs["name"], ""]
        elif tag == "select":
            self.select = [attrs["name"], [], [], "multiple" in attrs]

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self.textarea:
            name, text = self.textarea
            # Browsers drop the newline that follows <textarea>.
            self.add(name, text[1:] if text.startswith("\n") else text)
            self.textarea = None
        elif tag == "select" and self.select:
            name, options, selected, multiple = self.select
            if selected:
                for value in selected:
                    self.add(name, value)
            elif options and not multiple:
                self.add(name, options[0])
            self.select = None
