// Search and filters for the catalogue home page, on top of the static listing (which works without this).
//
// A compact table of every course's facet values and sort ranks (search/browse.json) is filtered, counted
// and sorted here, and the result cards come from one file of every course's card (search/cards.json, in the
// table's order): after those two requests a filter change fetches nothing. With search words, Pagefind (loaded
// only then) finds and ranks the course pages, and gives the shown results' excerpts with the words marked.
// Facet counts are "what would I get if I also ticked this": for a facet with ticked values they leave that
// facet's own choices out (OR within a facet, AND across facets).
//
// The page is laid out for this script before it runs (templates/index.html), so nothing moves when it starts.
// The words it shows come from the page (data-text, from the theme's templates/_macros.html), in the site's
// language: plural ones once per plural category, which Intl.PluralRules picks for a number.

const root = document.querySelector("[data-catalogue]");
const form = root && root.querySelector("[data-finder]");
const boxes = root ? [...root.querySelectorAll("input[data-facet]")] : [];
const FACETS = [...new Set(boxes.map((box) => box.name))];
const $ = (selector) => root && root.querySelector(selector);
const el = {
  status: $("[data-status]"), staticList: $("[data-static]"), results: $("[data-results]"), empty: $("[data-empty]"),
  more: $("[data-more]"), query: $("#q"), sort: $("#sort"), toggle: $("[data-toggle-filters]"),
  filters: $("[data-filters]"), chips: $("[data-chips]"), chipList: $("[data-chip-list]"), list: $("#results"),
  show: $("[data-show-results]"),
};
const base = root ? root.dataset.base : "/";          // the pages in this language (and their cards' words)
const shared = root ? root.dataset.root || base : "/";  // what every language shares: the browse table, the cards, the index
const pageSize = root ? Number(root.dataset.pageSize) || 24 : 24;
const initial = root ? { status: el.status.textContent, show: el.show.textContent, counts: boxes.map((b) => countOf(b).textContent) } : null;
const TEXT = readText();
const plurals = pluralRules(document.documentElement.lang);

let current = [];        // the current results: each a row of the browse table and, for a search, Pagefind's result
let shown = 0;
let generation = 0;      // drops the answers of searches overtaken by newer ones

function countOf(box) {
  return root.querySelector(`label[for="${box.id}"] [data-count]`);
}

// --- words: the page's, with %(name)s placeholders ------------------------------------------------------

function readText() {
  try {
    return root && root.dataset.text ? JSON.parse(root.dataset.text) : {};
  } catch (error) {
    console.warn("The page's words for the catalogue script are not valid JSON.", error);
    return {};
  }
}

function pluralRules(lang) {
  try {
    return new Intl.PluralRules(lang || undefined);
  } catch (error) {   // a language tag the browser does not know
    return new Intl.PluralRules();
  }
}

// say("found", { num: 3, query: "data" }): the words for `key`, the form for `num` if it has plural forms.
function say(key, values = {}) {
  let words = TEXT[key];
  if (words && typeof words === "object") {
    const forms = Object.values(words);
    words = words[plurals.select(Number(values.num))] ?? words.other ?? forms[forms.length - 1];
  }
  return String(words ?? "").replace(/%\((\w+)\)s/g, (match, name) => (name in values ? String(values[name]) : match));
}

// --- state: the form <-> the URL ------------------------------------------------------------------------

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
  for (const box of boxes.filter((b) => b.checked)) (state.filters[box.name] ||= []).push(box.value);
  if (state.sort === defaultSort(state.q)) state.sort = "";
  return state;
}

const defaultSort = (q) => (q ? "relevance" : "start");
const isEmpty = (state) => !state.q && !state.sort && !Object.keys(state.filters).length;

function writeForm(state) {
  el.query.value = state.q;
  for (const box of boxes) box.checked = (state.filters[box.name] || []).includes(box.value);
  // a facet with a ticked value is open, so what is chosen can be seen
  for (const group of root.querySelectorAll("[data-facet-group]")) {
    if (state.filters[group.dataset.facetGroup]) group.open = true;
  }
  el.sort.querySelector("option[value=relevance]").disabled = !state.q;
  el.sort.value = state.sort || defaultSort(state.q);
}

function toUrl(state) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const key of FACETS) for (const value of state.filters[key] || []) params.append(key, value);
  if (state.sort) params.set("sort", state.sort);
  const text = params.toString();
  return location.pathname + (text ? "?" + text : "");
}

// --- finding: the browse table, narrowed and ranked by Pagefind when there are search words -------------

let browseTable = null;
let pagefind = null;

function fetchJson(path, fresh) {
  return fetch(path, fresh ? { cache: "reload" } : {}).then((r) => {
    if (!r.ok) throw new Error(`${path}: ${r.status}`);
    return r.json();
  });
}

// The browse table with its cards (made together; the live preview may refresh one a moment before the other).
function loadTable(fresh = false) {
  if (fresh) browseTable = null;
  browseTable ||= (async () => {
    let [table, cards] = await Promise.all([fetchJson(shared + "search/browse.json", fresh),
                                            fetchJson(shared + "search/cards.json", fresh)]);
    const matches = () => cards.length === table.courses.length && cards.every((c, i) => c.url === table.courses[i][0]);
    if (!matches()) {
      [table, cards] = await Promise.all([fetchJson(shared + "search/browse.json", true),
                                          fetchJson(shared + "search/cards.json", true)]);
      if (!matches()) throw new Error("the cards do not match the course table");
    }
    table.rowOf = new Map(table.courses.map((row, i) => [row[0], i]));
    table.cards = cards;
    return table;
  })();
  browseTable.catch(() => { browseTable = null; });
  return browseTable;
}

function loadPagefind() {
  pagefind ||= (async () => {
    const source = new URL(root.dataset.pagefind, location.href);
    const listingUrl = new URL("catalogue-pages.json", source);
    let [module, listing, table] = await Promise.all([
      import(source.href),
      fetch(listingUrl).then((r) => r.json()),
      loadTable(),
    ]);
    if (listing.table !== table.table) {
      // made at different moments (the live preview refreshes the table, then the index): fetch both again
      [listing, table] = await Promise.all([fetch(listingUrl, { cache: "reload" }).then((r) => r.json()), loadTable(true)]);
      if (listing.table !== table.table) throw new Error("the search index does not match the course table");
    }
    await module.options({ baseUrl: shared, excerptLength: 24 });
    await module.init();
    // the index comes in shards: this one, and others merged into it (they share its wasm)
    await Promise.all(listing.shards.map((shard) => module.mergeIndex(new URL(shard, source).pathname, { baseUrl: shared })));
    const rowOf = new Map();   // Pagefind's page id -> row of the browse table
    listing.ids.forEach((id, row) => { if (id) rowOf.set(id, row); });
    root.dataset.searchReady = "true";
    return { module, rowOf, table };
  })();
  return pagefind;
}

// The rows to consider: every course, or (with search words) the courses Pagefind found, best first.
async function candidates(state) {
  if (!state.q) {
    const table = await loadTable();
    return { table, rows: table.courses.map((row, i) => ({ row, index: i })), ranked: false };
  }
  const { module, rowOf, table } = await loadPagefind();
  const found = await module.search(state.q);
  if (!found) return null;   // overtaken by a newer search
  const rows = [];
  for (const result of found.results) {
    if (rowOf.has(result.id)) rows.push({ row: table.courses[rowOf.get(result.id)], index: rowOf.get(result.id), result });
  }
  return { table, rows, ranked: true };
}

async function find(state) {
  const given = await candidates(state);
  if (!given) return null;
  const { table, rows, ranked } = given;
  const keys = table.facets.map(([key]) => key);
  const chosen = keys.map((key, k) => {
    const values = state.filters[key] || [];
    return values.length ? new Set(values.map((v) => table.facets[k][1].indexOf(v))) : null;
  });
  const counts = Object.fromEntries(keys.map((key) => [key, {}]));
  const matches = [];
  for (const item of rows) {
    const row = item.row;
    const passes = row[4].map((indices, k) => !chosen[k] || indices.some((i) => chosen[k].has(i)));
    const failing = passes.filter((ok) => !ok).length;
    if (failing === 0) matches.push(item);
    if (failing > 1) continue;
    row[4].forEach((indices, k) => {
      if (failing === 1 && passes[k]) return;    // it fails another facet: it counts for that one only
      for (const i of indices) {
        const value = table.facets[k][1][i];
        counts[keys[k]][value] = (counts[keys[k]][value] || 0) + 1;
      }
    });
  }
  const sort = state.sort || (ranked ? "relevance" : "start");
  const titles = table.titles?.[document.documentElement.lang];  // ranks in this language's alphabetical order
  const title = titles ? (r) => [titles[table.rowOf.get(r[0])]] : (r) => [r[3]];
  const by = { start: (r) => [r[1]], credits: (r) => [r[2], r[1]], title }[sort];
  if (by) matches.sort((a, b) => { const x = by(a.row), y = by(b.row); return x[0] - y[0] || (x[1] || 0) - (y[1] || 0); });
  return { counts, items: matches, table };
}

// --- showing results -----------------------------------------------------------------------------------------

async function run(state) {
  const mine = ++generation;
  const ticked = Object.values(state.filters).reduce((n, values) => n + values.length, 0);
  el.toggle.textContent = ticked ? say("filtersChosen", { num: ticked }) : say("filters");
  if (isEmpty(state)) return showStatic();
  const outcome = await find(state);
  if (!outcome || mine !== generation) return;
  boxes.forEach((box) => setCount(box, (outcome.counts[box.name] || {})[box.value] || 0));
  current = outcome.items;
  current.table = outcome.table;
  shown = 0;
  const cards = await next();
  if (mine !== generation) return;
  el.results.replaceChildren(...cards);
  finish(state);
}

async function next() {
  const slice = current.slice(shown, shown + pageSize);
  shown += slice.length;
  const table = current.table;
  const [words, ...excerpts] = await Promise.all([loadWords(), ...slice.map(excerptOf)]);
  return slice.map((item, i) => card(table.cards[item.index], words, excerpts[i]));
}

// A search result's excerpt, with the search words marked (Pagefind's fragment of the page: one request).
async function excerptOf(item) {
  if (!item.result) return null;
  try {
    return (await item.result.data()).excerpt || null;
  } catch (error) {
    return null;
  }
}

// The words of the cards' facts in this language, by code (one small file: the cards themselves are the
// same in every language).
let cardWords = null;

function loadWords() {
  cardWords ||= fetchJson(base + "search/words.json");
  return cardWords;
}

function finish(state) {
  el.staticList.hidden = true;
  el.results.hidden = current.length === 0;
  el.empty.hidden = current.length !== 0;
  el.more.hidden = shown >= current.length;
  const num = current.length;
  const range = { num, query: state.q, first: 1, last: shown };
  const partial = num > shown;
  if (state.q) el.status.textContent = partial ? say("foundShowing", range) : say("found", range);
  else el.status.textContent = partial ? say("countShowing", range) : say("count", range);
  el.show.textContent = say("show", { num });
  showChips(state);
  root.dataset.shown = toUrl(state);   // which state the results on screen answer (tests wait for it)
}

function showStatic() {
  root.dataset.shown = location.pathname;
  boxes.forEach((box, i) => { countOf(box).textContent = initial.counts[i]; countOf(box).parentElement.classList.remove("facet__label--none"); });
  current = [];
  el.staticList.hidden = false;
  el.results.hidden = el.empty.hidden = el.more.hidden = true;
  el.status.textContent = initial.status;
  el.show.textContent = initial.show;
  showChips({ filters: {} });
}

function setCount(box, n) {
  countOf(box).textContent = `(${n})`;
  countOf(box).parentElement.classList.toggle("facet__label--none", n === 0 && !box.checked);
}

// A removable chip for every ticked value, in the filters' order.
function showChips(state) {
  const ticked = boxes.filter((box) => (state.filters[box.name] || []).includes(box.value));
  el.chipList.replaceChildren(...ticked.map((box) => node("li", null,
    node("button", { type: "button", class: "chip", "aria-label": say("removeFilter", { value: box.dataset.label }),
                     "data-remove": `${box.name}=${box.value}` },
         box.dataset.lang ? node("span", { lang: box.dataset.lang }, box.dataset.label) : box.dataset.label))));
  el.chips.hidden = ticked.length === 0;
}

function node(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null && value !== false) element.setAttribute(name, value);  // (alt="" too)
  }
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

// Pagefind's excerpt as nodes: its text, with the <mark>s it puts around the search words. Built from a parsed,
// inert document (nothing in it runs or loads), keeping only text and <mark>: no markup of a page gets through.
function excerptNodes(excerpt) {
  const parsed = new DOMParser().parseFromString(`<p>${excerpt}</p>`, "text/html").body;
  const out = [];
  for (const child of parsed.querySelector("p")?.childNodes || []) {
    if (child.nodeType === Node.ELEMENT_NODE && child.localName === "mark") out.push(node("mark", null, child.textContent));
    else out.push(document.createTextNode(child.textContent));
  }
  return out;
}

// The same markup as the card macro of the static listing (templates/_macros.html): the course's texts in
// this language where it has a translation, its facts in this language's words.
function card(data, words, excerpt) {
  const here = document.documentElement.lang;
  const own = data.translations?.[here];
  const text = own ? { ...own, lang: here } : data;
  const lang = text.lang || undefined;
  const labels = TEXT.fact || {};
  const said = (kind, code) => words[kind]?.[code] ?? code;
  const list = (kind, codes) => codes.map((code) => said(kind, code)).join(", ");
  const fact = (term, tag, ...value) => node("div", tag ? { class: "facts__tag" } : null,
                                             node("dt", null, labels[term] ?? ""), node("dd", null, ...value));
  const level = [node("abbr", { title: labels.eqf_title }, labels.eqf ?? ""), ` ${data.level}`];
  const status = data.status === "open" ? "" : said("status", data.status);
  const alt = own?.image_alt ? [own.image_alt, here] : [data.image?.alt, data.lang];
  const mark = data.logo
    ? node("img", { class: "mark", src: shared + data.logo, alt: "", width: "32", height: "32", loading: "lazy" })
    : node("span", { class: "mark mark--initial", "aria-hidden": "true" }, data.institution.slice(0, 1));
  return node("li", null, node("article", { class: "card" }, node("div", { class: "card__body" },
    node("h3", { class: "card__title" }, node("a", { href: base + data.url, lang }, text.title)),
    node("p", { class: "card__institution" }, mark, node("span", null, data.institution)),
    status ? node("p", { class: `badge badge--${data.status}` }, status) : null,
    excerpt ? node("p", { class: "card__summary card__excerpt", lang: data.lang }, ...excerptNodes(excerpt))
      : node("p", { class: "card__summary", lang }, text.summary),
    node("dl", { class: "facts" },
      fact("credits", true, said("credits", data.credits)), fact("level", true, ...level),
      fact("mode", true, said("mode", data.mode)),
      fact("starts", false, data.start ? said("start", data.start) : labels.no_date ?? ""),
      fact("language", false, list("language", data.language)), fact("fee", false, said("fee", data.fee)),
      fact("for", false, list("audience", data.audience))),
    node("p", { class: "card__save", "data-save-slot": data.url.replace(/^courses\/|\/$/g, "") })),
    data.image ? picture(data.image, ...alt) : null));
}

// The same markup as the picture macro (templates/_macros.html), loaded when it comes near the screen; its
// width and height give it its shape before it arrives.
function picture(image, alt, lang) {
  const set = (files) => files.map(([path, width]) => `${shared}${path} ${width}w`).join(", ");
  const sizes = root.dataset.pictureSizes || "100vw";
  const img = node("img", { src: shared + image.src, srcset: set(image.img), sizes, width: String(image.w),
                            height: String(image.h), lang, loading: "lazy", decoding: "async" });
  img.alt = alt || "";
  return node("picture", { class: "card__picture" }, node("source", { type: "image/webp", srcset: set(image.webp), sizes }), img);
}

// --- the phone's filter panel --------------------------------------------------------------------------------

function openFilters(open) {
  el.toggle.setAttribute("aria-expanded", String(open));
  el.filters.classList.toggle("filters--open", open);
}

// "Show N courses" and "Skip to results": the panel closes (on a phone) and the results take the focus, the
// next Tab reaching the first course.
function toResults(event) {
  event.preventDefault();
  if (el.toggle.getAttribute("aria-expanded") === "true") openFilters(false);
  el.list.focus({ preventScroll: true });
  el.list.scrollIntoView({ block: "start" });
}

// --- wiring ------------------------------------------------------------------------------------------------------

let typingTimer = 0;

function changed(push) {
  const state = readForm();
  el.sort.querySelector("option[value=relevance]").disabled = !state.q;
  if (!state.q && el.sort.value === "relevance") el.sort.value = "start";
  const url = toUrl(state);
  if (url !== location.pathname + location.search) history[push ? "pushState" : "replaceState"](null, "", url);
  return run(state).catch(failed);
}

function failed(error) {
  console.warn("Search is unavailable; the full listing stays.", error);
  showStatic();
  el.status.textContent = say("unavailable");
}

async function start() {
  if (!form) return;
  const state = readUrl();
  writeForm(state);
  form.addEventListener("submit", (event) => { event.preventDefault(); clearTimeout(typingTimer); changed(true); });
  el.query.addEventListener("input", () => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => changed(false), 250);
    const words = el.query.value.trim();   // fetch the words' index chunks while the visitor is still typing
    if (words) loadPagefind().then(({ module }) => module.preload(words)).catch(() => {});
  });
  // Load what a search or a filter needs as soon as the visitor reaches for the form, not when they submit.
  el.query.addEventListener("focus", () => { loadPagefind().catch(() => {}); }, { once: true });
  for (const part of [form, el.filters, el.toggle]) {
    for (const event of ["focusin", "pointerover", "touchstart"]) {
      part.addEventListener(event, () => { loadTable().catch(() => {}); }, { once: true, passive: true });
    }
  }
  for (const control of [...boxes, el.sort]) control.addEventListener("change", () => changed(true));
  for (const button of root.querySelectorAll("[data-reset]")) {
    button.addEventListener("click", () => {
      writeForm({ q: button.dataset.reset === "filters" ? el.query.value.trim() : "", sort: "", filters: {} });
      changed(true);
      el.query.focus();
    });
  }
  el.chipList.addEventListener("click", async (event) => {
    const chip = event.target.closest("[data-remove]");
    if (!chip) return;
    const [name, value] = chip.dataset.remove.split(/=(.*)/s);
    const box = boxes.find((b) => b.name === name && b.value === value);
    if (box) box.checked = false;
    const following = chip.parentElement.nextElementSibling || chip.parentElement.previousElementSibling;
    const wanted = following && following.firstChild.dataset.remove;
    await changed(true);
    // the focus goes to the next chip (made anew), or to the results when none is left
    const next = [...el.chipList.querySelectorAll("[data-remove]")].find((c) => c.dataset.remove === wanted);
    (next || el.list).focus();
  });
  el.more.addEventListener("click", async () => {
    const first = shown;
    el.results.append(...(await next()));
    finish(readForm());
    const link = el.results.children[first] && el.results.children[first].querySelector("a");
    if (link) link.focus();
  });
  el.toggle.addEventListener("click", () => openFilters(el.toggle.getAttribute("aria-expanded") !== "true"));
  el.show.addEventListener("click", toResults);
  for (const skip of root.querySelectorAll("[data-skip-results]")) skip.addEventListener("click", toResults);
  window.addEventListener("popstate", () => { const s = readUrl(); writeForm(s); run(s).catch(failed); });
  await run(state).catch(failed);
  root.dataset.ready = "true";
}

start();
