// The web editor (/admin/), after Decap CMS's own script. A field typed in and then cleared is saved by Decap as
// an empty value ('' or an empty list), which the course format refuses ("'prerequisites' is empty"): an
// optional field left empty is one left out, so empty values are dropped before a course is saved.
window.CMS.registerEventListener({
  name: "preSave",
  handler: ({ entry }) => entry.get("data").filter((value) =>
    value !== "" && value !== null && value !== undefined && !(typeof value === "object" && value.size === 0)),
});
