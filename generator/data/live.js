// Live preview (catalogue serve only; never part of a built site): reloads the page after each rebuild and
// shows the problems of a failed rebuild over the last good page.
// The page tells the server which rebuild it was served at: a rebuild it missed while loading reloads it at once.
const since = document.querySelector("script[data-since]")?.dataset.since ?? "";
const events = new EventSource(`/_catalogue/events?since=${encodeURIComponent(since)}`);
let panel = null;

function hide() {
  if (panel) panel.remove();
  panel = null;
}

function show(problems) {
  hide();
  panel = document.createElement("div");
  panel.setAttribute("role", "alert");
  panel.id = "catalogue-problems";
  Object.assign(panel.style, {
    position: "fixed", inset: "auto 0 0 0", maxHeight: "60vh", overflow: "auto", zIndex: "2147483647",
    background: "#2b0a0a", color: "#fff", font: "14px/1.5 ui-monospace, monospace", padding: "1rem 1.25rem",
    borderTop: "4px solid #ff6b6b", boxShadow: "0 -4px 16px rgba(0,0,0,.4)",
  });
  const title = document.createElement("p");
  title.style.fontWeight = "bold";
  title.style.margin = "0 0 .5rem";
  title.textContent = `The catalogue could not be rebuilt (${problems.length} ${problems.length === 1 ? "problem" : "problems"}). ` +
    "This page shows the last good version; it reloads by itself when the files are fixed.";
  const list = document.createElement("ul");
  list.style.margin = "0";
  list.style.paddingLeft = "1.25rem";
  for (const problem of problems) {
    const item = document.createElement("li");
    item.textContent = problem;
    list.append(item);
  }
  panel.append(title, list);
  document.body.append(panel);
}

events.addEventListener("reload", () => location.reload());
events.addEventListener("problems", (event) => show(JSON.parse(event.data)));
events.addEventListener("clear", hide);
