// Search and filters for the catalogue home page, on top of the static listing (which works without this).
//
// A compact table of every course's facet values and sort ranks (search/browse.json) is filtered, counted
// and sorted here. With search words, Pagefind (loaded only then) finds and ranks the course pages, and the
// table does the rest: Pagefind's own filters would cost twice the time of a search and one more search per
// ticked facet. Facet counts are "what would I get if I also ticked this": for a facet with ticked values
// they leave that facet's own choices out (OR within a facet, AND across facets). Nothing is fetched until a
// visitor asks for it.
//
// The words it shows come from the page (data-text, from the theme's templates/_macros.html), in the site's
// language: plural ones once per plural category, which Intl.PluralRules picks for a number.

const root = document.querySelector("[data-catalogue]");
const form = root && root.querySelector("[data-finder]");
const boxes = root ? [...root.querySelectorAll("input[data-facet]")] : [];
const FACETS = [...new Set(boxes.map((box) => box.name))];
const $ = (selector) => root && root.querySelector(selector);
const el = {
  status: $("[data-status]"), staticList: $("[data-static]"), results: $("[data-results]"), empty: $("[data-empty]"),
  more: $("[data-more]"), query: $("#q"), sort: $("#sort"), sortBox: $("[data-sort-box]"),
  toggle: $("[data-toggle-filters]"), filters: $("[data-filters]"),
};
const base = root ? root.dataset.base : "/";          // the pages in this language (and their cards' words)
const shared = root ? root.dataset.root || base : "/";  // what every language shares: the browse table, the cards, the index
const pageSize = root ? Number(root.dataset.pageSize) || 24 : 24;
const initial = root ? { status: el.status.textContent, counts: boxes.map((b) => countOf(b).textContent) } : null;
const TEXT = readText();
const plurals = pluralRules(document.documentElement.lang);

let current = [];        // loaders of the current results' cards, in order
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

function loadTable(fresh = false) {
  if (fresh) browseTable = null;
  browseTable ||= fetch(shared + "search/browse.json", fresh ? { cache: "reload" } : {}).then((r) => r.json()).then((table) => {
    table.rowOf = new Map(table.courses.map((row, i) => [row[0], i]));
    return table;
  });
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
    await module.options({ baseUrl: shared });
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
    return { table, rows: table.courses, ranked: false };
  }
  const { module, rowOf, table } = await loadPagefind();
  const found = await module.search(state.q);
  if (!found) return null;   // overtaken by a newer search
  const rows = [];
  for (const result of found.results) if (rowOf.has(result.id)) rows.push(table.courses[rowOf.get(result.id)]);
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
  for (const row of rows) {
    const passes = row[4].map((indices, k) => !chosen[k] || indices.some((i) => chosen[k].has(i)));
    const failing = passes.filter((ok) => !ok).length;
    if (failing === 0) matches.push(row);
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
  if (by) matches.sort((a, b) => { const x = by(a), y = by(b); return x[0] - y[0] || (x[1] || 0) - (y[1] || 0); });
  const load = (row) => () => fetch(shared + row[0] + "card.json").then((r) => r.json());
  return { counts, items: matches.map(load) };
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
  shown = 0;
  const cards = await next();
  if (mine !== generation) return;
  el.results.replaceChildren(...cards);
  finish(state);
}

async function next() {
  const slice = current.slice(shown, shown + pageSize);
  shown += slice.length;
  const [words, ...cards] = await Promise.all([loadWords(), ...slice.map((load) => load())]);
  return cards.map((data) => card(data, words));
}

// The words of the cards' facts in this language, by code (one small file: the cards themselves are the
// same in every language).
let cardWords = null;

function loadWords() {
  cardWords ||= fetch(base + "search/words.json").then((r) => r.json());
  return cardWords;
}

function finish(state) {
  el.staticList.hidden = true;
  el.results.hidden = current.length === 0;
  el.empty.hidden = current.length !== 0;
  el.more.hidden = shown >= current.length;
  const num = current.length;
  let text = !num ? say("noMatch") : state.q ? say("found", { num, query: state.q }) : say("matching", { num });
  if (num > shown) text += " " + say("showing", { num: shown });
  el.status.textContent = text;
  root.dataset.shown = toUrl(state);   // which state the results on screen answer (tests wait for it)
}

function showStatic() {
  root.dataset.shown = location.pathname;
  boxes.forEach((box, i) => { countOf(box).textContent = initial.counts[i]; countOf(box).parentElement.classList.remove("facet__label--none"); });
  current = [];
  el.staticList.hidden = false;
  el.results.hidden = el.empty.hidden = el.more.hidden = true;
  el.status.textContent = initial.status;
}

function setCount(box, n) {
  countOf(box).textContent = `(${n})`;
  countOf(box).parentElement.classList.toggle("facet__label--none", n === 0 && !box.checked);
}

function node(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) if (value) element.setAttribute(name, value);
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

// The same markup as the card macro of the static listing (templates/_macros.html): the course's texts in
// this language where it has a translation, its facts in this language's words.
function card(data, words) {
  const here = document.documentElement.lang;
  const own = data.translations?.[here];
  const text = own ? { ...own, lang: here } : data;
  const lang = text.lang || undefined;
  const labels = TEXT.fact || {};
  const said = (kind, code) => words[kind]?.[code] ?? code;
  const list = (kind, codes) => codes.map((code) => said(kind, code)).join(", ");
  const fact = (term, ...value) => node("div", null, node("dt", null, labels[term] ?? ""), node("dd", null, ...value));
  const level = [node("abbr", { title: labels.eqf_title }, labels.eqf ?? ""), ` ${data.level}`];
  const status = data.status === "open" ? "" : said("status", data.status);
  const alt = own?.image_alt ? [own.image_alt, here] : [data.image?.alt, data.lang];
  return node("li", null, node("article", { class: "card" },
    node("h3", { class: "card__title" }, node("a", { href: base + data.url, lang }, text.title)),
    node("p", { class: "card__institution" }, data.institution),
    status ? node("p", { class: `badge badge--${data.status}` }, status) : null,
    node("p", { class: "card__summary", lang }, text.summary),
    node("dl", { class: "facts" },
      fact("credits", said("credits", data.credits)), fact("level", ...level),
      fact("for", list("audience", data.audience)), fact("mode", said("mode", data.mode)),
      fact("language", list("language", data.language)),
      fact("starts", data.start ? said("start", data.start) : labels.no_date ?? ""),
      fact("fee", said("fee", data.fee))),
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

// --- wiring ------------------------------------------------------------------------------------------------------

let typingTimer = 0;

function changed(push) {
  const state = readForm();
  el.sort.querySelector("option[value=relevance]").disabled = !state.q;
  if (!state.q && el.sort.value === "relevance") el.sort.value = "start";
  const url = toUrl(state);
  if (url !== location.pathname + location.search) history[push ? "pushState" : "replaceState"](null, "", url);
  run(state).catch(failed);
}

function failed(error) {
  console.warn("Search is unavailable; the full listing stays.", error);
  showStatic();
  el.status.textContent = say("unavailable");
}

async function start() {
  if (!form) return;
  for (const part of [form, el.filters, el.toggle, el.sortBox]) part.hidden = false;
  root.classList.add("catalogue--enhanced");
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
  el.more.addEventListener("click", async () => {
    const first = shown;
    el.results.append(...(await next()));
    finish(readForm());
    const link = el.results.children[first] && el.results.children[first].querySelector("a");
    if (link) link.focus();
  });
  el.toggle.addEventListener("click", () => {
    const open = el.toggle.getAttribute("aria-expanded") !== "true";
    el.toggle.setAttribute("aria-expanded", String(open));
    el.filters.classList.toggle("filters--open", open);
  });
  window.addEventListener("popstate", () => { const s = readUrl(); writeForm(s); run(s).catch(failed); });
  await run(state).catch(failed);
  root.dataset.ready = "true";
}

start();
