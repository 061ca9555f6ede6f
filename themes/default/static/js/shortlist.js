// The shortlist, on every page: a "Save" toggle on each course card and course page, and the number of saved
// courses beside the navigation's "Shortlist" link. The list is kept in this browser (localStorage) and
// nothing is sent anywhere. Without JavaScript no toggle is shown, and the shortlist page says why.
//
// Courses are named by their stable ids (`<institution>/<course>`, the path of their page under courses/).
// The toggle's words come from the page (the navigation link's data-save), in the page's language.
// On a phone, where the navigation's sections scroll sideways on one line (site.css), the page's own section
// is scrolled into view.

const link = document.querySelector("[data-shortlist-link]");
const root = link ? link.dataset.root || "/" : "/";
const KEY = "catalogue-shortlist:" + root;   // one list per catalogue, whatever the page's language
const ID = /^[a-z0-9]+(?:-[a-z0-9]+)*\/[a-z0-9]+(?:-[a-z0-9]+)*$/;
const COURSE_PATH = /\/courses\/([a-z0-9]+(?:-[a-z0-9]+)*)\/([a-z0-9]+(?:-[a-z0-9]+)*)\/$/;

function readList() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(list) ? [...new Set(list.filter((id) => typeof id === "string" && ID.test(id)))] : [];
  } catch (error) {   // storage turned off, or a value this script did not write
    return [];
  }
}

function writeList(list) {
  try {
    localStorage.setItem(KEY, JSON.stringify(list));
  } catch (error) {
    console.warn("The shortlist cannot be saved in this browser.", error);
  }
  document.dispatchEvent(new CustomEvent("shortlist-change", { detail: list }));
}

function toggle(id) {
  const list = readList();
  writeList(list.includes(id) ? list.filter((x) => x !== id) : [...list, id]);
}

// A course card's id, from the address of its title's link.
function cardId(card) {
  const anchor = card.querySelector(".card__title a");
  if (!anchor) return null;
  const found = COURSE_PATH.exec(new URL(anchor.href, location.href).pathname);
  return found ? `${found[1]}/${found[2]}` : null;
}

function button(id, title) {
  const made = document.createElement("button");
  made.type = "button";
  made.className = "save-toggle";
  made.dataset.saveToggle = id;
  const hidden = document.createElement("span");
  hidden.className = "visually-hidden";
  hidden.textContent = `: ${title}`;
  made.append(link ? link.dataset.save || "Save" : "Save", hidden);
  made.addEventListener("click", () => toggle(id));
  return made;
}

// Gives every card and course page that has none its toggle (cards come and go with search results): in the
// space the page keeps for it (data-save-slot: nothing moves when it comes), or at the end of a card that has none.
function addToggles() {
  let added = false;
  for (const slot of document.querySelectorAll("[data-save-slot]:not([data-saveable])")) {
    slot.dataset.saveable = "";
    if (!ID.test(slot.dataset.saveSlot)) continue;
    const card = slot.closest("article.card");
    if (card) card.dataset.saveable = "";
    const heading = card ? card.querySelector(".card__title a") : document.querySelector("h1");
    slot.append(button(slot.dataset.saveSlot, heading ? heading.textContent.trim() : slot.dataset.saveSlot));
    added = true;
  }
  for (const card of document.querySelectorAll("article.card:not([data-saveable])")) {
    const id = cardId(card);
    card.dataset.saveable = "";
    if (!id) continue;
    const box = document.createElement("p");
    box.className = "card__save";
    box.append(button(id, card.querySelector(".card__title a").textContent));
    card.append(box);
    added = true;
  }
  if (added) show();
}

function show() {
  const list = readList();
  const saved = new Set(list);
  for (const made of document.querySelectorAll("[data-save-toggle]")) {
    made.setAttribute("aria-pressed", String(saved.has(made.dataset.saveToggle)));
  }
  const count = document.querySelector("[data-shortlist-count]");
  const said = list.length ? ` (${list.length.toLocaleString(document.documentElement.lang || undefined)})` : "";
  if (count && count.textContent !== said) count.textContent = said;
}

// The home page's "Follow this search": the feeds page for the filters on screen (search words are not followed).
function follow() {
  const catalogue = document.querySelector("[data-catalogue]");
  const box = document.querySelector("[data-follow]");
  const anchor = box && box.querySelector("[data-follow-link]");
  if (!catalogue || !anchor) return;
  const base = anchor.getAttribute("href").split("?")[0];
  const update = () => {
    const params = new URLSearchParams(location.search);
    params.delete("q");
    params.delete("sort");
    const query = params.toString();
    anchor.href = base + (query ? "?" + query : "");
    box.hidden = !query;
  };
  new MutationObserver(update).observe(catalogue, { attributes: true, attributeFilter: ["data-shown"] });
  update();
}

// The navigation's link to this page's section, scrolled into view when the sections overflow their line (the page
// itself is not moved, whatever its anchor).
function showSection() {
  const current = document.querySelector(".site-nav [aria-current='page'], .site-nav .site-nav__section");
  const nav = current && current.closest("nav");
  if (!nav || nav.scrollWidth <= nav.clientWidth) return;
  const over = current.getBoundingClientRect().right - nav.getBoundingClientRect().right;
  if (over > 0) nav.scrollLeft += over + 16;
}

addToggles();
show();
follow();
showSection();
new MutationObserver(() => addToggles()).observe(document.body, { childList: true, subtree: true });
document.addEventListener("shortlist-change", show);
window.addEventListener("storage", (event) => { if (event.key === KEY) show(); });
