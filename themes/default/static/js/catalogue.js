// Search and filters for the catalogue home page, on top of the static listing (which works without this).
// Pagefind does the text search, the filtering and the sorting; this file keeps the form, the URL and
// the result cards in step. Facet counts are "what would I get if I also ticked this": for a facet with
// ticked values, they are computed with that facet's own choices left out (OR within a facet).

const root = document.querySelector("[data-catalogue]");
const form = root && root.querySelector("[data-finder]");
const boxes = root ? [...root.querySelectorAll("input[data-facet]")] : [];
const FACETS = [...new Set(boxes.map((box) => box.name))];

const el = {
  status: root && root.querySelector("[data-status]"),
  staticList: root && root.querySelector("[data-static]"),
  results: root && root.querySelector("[data-results]"),
  empty: root && root.querySelector("[data-empty]"),
  more: root && root.querySelector("[data-more]"),
  query: root && root.querySelector("#q"),
  sort: root && root.querySelector("#sort"),
  sortBox: root && root.querySelector("[data-sort-box]"),
  toggle: root && root.querySelector("[data-toggle-filters]"),
  filters: root && root.querySelector("[data-filters]"),
};

let pagefind = null;
let totals = {};         // every facet value's count in the whole catalogue
let shown = 0;
let current = null;      // the last search's results
let generation = 0;      // drops the answers of searches overtaken by newer ones
const pageSize = root ? Number(root.dataset.pageSize) || 24 : 24;

function readUrl() {
  const params = new URLSearchParams(location.search);
  const state = { q: (params.get("q") || "").trim(), sort: params.get("sort") || "", filters: {} };
  for (const key of FACETS) {
    const values = params.getAll(key).filter(Boolean);
    if (values.length) state.filters[key] = values;
  }
  return state;
}

function readForm() {
  const state = { q: el.query.value.trim(), sort: el.sort.value, filters: {} };
  for (const box of boxes.filter((b) => b.checked)) {
    (state.filters[box.name] ||= []).push(box.value);
  }
  if (state.sort === defaultSort(state.q)) state.sort = "";
  return state;
}

function defaultSort(q) {
  return q ? "relevance" : "start";
}

function writeForm(state) {
  el.query.value = state.q;
  for (const box of boxes) {
    box.checked = (state.filters[box.name] || []).includes(box.value);
  }
  el.sort.value = state.sort || defaultSort(state.q);
  el.sort.querySelector("option[value=relevance]").disabled = !state.q;
}

function toUrl(state) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const key of FACETS) for (const value of state.filters[key] || []) params.append(key, value);
  if (state.sort) params.set("sort", state.sort);
  const text = params.toString();
  return location.pathname + (text ? "?" + text : "");
}

function pagefindFilters(filters, without) {
  const out = {};
  for (const [key, values] of Object.entries(filters)) {
    if (key !== without && values.length) out[key] = { any: values };
  }
  return out;
}

function pagefindSort(state) {
  const sort = state.sort || defaultSort(state.q);
  if (sort === "relevance" && state.q) return undefined;
  if (sort === "credits") return { credits: "asc" };
  if (sort === "title") return { title: "asc" };
  return { start: "asc" };
}

async function search(state, without) {
  const filters = pagefindFilters(state.filters, without);
  const result = await pagefind.search(state.q || null, { filters, sort: pagefindSort(state) });
  // Browsing with no words and no filters: Pagefind gives no counts, so take the whole catalogue's.
  if (result && !state.q && !Object.keys(filters).length) result.filters = totals;
  return result;
}

async function run(state) {
  const mine = ++generation;
  const main = await search(state);
  if (!main || mine !== generation) return;
  const counts = { ...main.filters };
  const active = FACETS.filter((key) => (state.filters[key] || []).length);
  const others = await Promise.all(active.map((key) => search(state, key)));
  if (mine !== generation) return;
  active.forEach((key, i) => { counts[key] = (others[i] && others[i].filters[key]) || {}; });
  updateCounts(counts);
  current = main.results;
  shown = 0;
  el.results.replaceChildren();
  await showMore(mine);
  if (mine !== generation) return;
  announce(state, current.length);
}

function updateCounts(counts) {
  for (const box of boxes) {
    const n = (counts[box.name] && counts[box.name][box.value]) || 0;
    const label = root.querySelector(`label[for="${box.id}"]`);
    label.querySelector("[data-count]").textContent = `(${n})`;
    label.classList.toggle("facet__label--none", n === 0 && !box.checked);
  }
}

async function showMore(mine) {
  const slice = current.slice(shown, shown + pageSize);
  const data = await Promise.all(slice.map((result) => result.data()));
  if (mine !== undefined && mine !== generation) return;
  el.results.append(...data.map(card));
  shown += slice.length;
  el.staticList.hidden = true;
  el.results.hidden = current.length === 0;
  el.empty.hidden = current.length !== 0;
  el.more.hidden = shown >= current.length;
}

function announce(state, total) {
  const n = total === 1 ? "1 course" : `${total} courses`;
  let text = total === 0 ? "No courses match." : state.q ? `${n} found for “${state.q}”.` : `${n} match.`;
  if (total > shown && shown > 0) text += ` Showing ${shown}.`;
  el.status.textContent = text;
}

function node(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) element.setAttribute(name, value);
  }
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

// The same markup as the card macro of the static listing (templates/_macros.html).
function card(result) {
  const meta = result.meta;
  const lang = meta.lang || undefined;
  const fact = (term, ...value) => node("div", null, node("dt", null, term), node("dd", null, ...value));
  const level = [node("abbr", { title: "European Qualifications Framework" }, "EQF"), ` ${meta.level}`];
  return node("li", null, node("article", { class: "card" },
    node("h2", { class: "card__title" }, node("a", { href: result.url, lang }, meta.title)),
    node("p", { class: "card__institution" }, meta.institution),
    meta.status ? node("p", { class: "badge" }, meta.status) : null,
    node("p", { class: "card__summary", lang }, meta.summary),
    node("dl", { class: "facts" },
      fact("Credits", meta.credits), fact("Level", ...level), fact("For", meta.audience), fact("Mode", meta.mode),
      fact("Language", meta.language), fact("Starts", meta.start), fact("Fee", meta.fee))));
}

let typingTimer = 0;

function changed(push) {
  const state = readForm();
  el.sort.querySelector("option[value=relevance]").disabled = !state.q;
  if (!state.q && el.sort.value === "relevance") el.sort.value = "start";
  const url = toUrl(state);
  if (url !== location.pathname + location.search) {
    history[push ? "pushState" : "replaceState"](null, "", url);
  }
  run(state);
}

async function start() {
  if (!form) return;
  try {
    pagefind = await import(root.dataset.pagefind);
    await pagefind.options({ baseUrl: root.dataset.base });
    await pagefind.init();
    // Loading every filter up front also makes each search count every facet, not only the filtered ones.
    totals = await pagefind.filters();
  } catch (error) {
    console.warn("Search is unavailable; the full listing stays.", error);
    return;
  }
  for (const part of [form, el.filters, el.toggle, el.sortBox]) part.hidden = false;
  root.classList.add("catalogue--enhanced");
  const state = readUrl();
  writeForm(state);
  form.addEventListener("submit", (event) => { event.preventDefault(); clearTimeout(typingTimer); changed(true); });
  el.query.addEventListener("input", () => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => changed(false), 200);
  });
  for (const control of [...boxes, el.sort]) control.addEventListener("change", () => changed(true));
  for (const button of root.querySelectorAll("[data-reset]")) {
    button.addEventListener("click", () => {
      const keepQuery = button.dataset.reset === "filters";
      writeForm({ q: keepQuery ? el.query.value.trim() : "", sort: "", filters: {} });
      changed(true);
      el.query.focus();
    });
  }
  el.more.addEventListener("click", async () => {
    const first = shown;
    await showMore();
    announce(readForm(), current.length);
    const link = el.results.children[first] && el.results.children[first].querySelector("a");
    if (link) link.focus();
  });
  el.toggle.addEventListener("click", () => {
    const open = el.toggle.getAttribute("aria-expanded") !== "true";
    el.toggle.setAttribute("aria-expanded", String(open));
    el.filters.classList.toggle("filters--open", open);
  });
  window.addEventListener("popstate", () => { const s = readUrl(); writeForm(s); run(s); });
  await run(state);
  root.dataset.ready = "true";
}

start();
