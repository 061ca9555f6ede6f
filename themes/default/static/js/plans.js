// The planning pages: the shortlist (/shortlist/), the comparison (/compare/), the calendar's filters
// (/calendar/) and following a search (/feeds/). Each page is a frame that this script fills from what the
// build publishes for the home page: the browse table (search/browse.json), every course's card data
// (search/cards.json, fetched once), the words of the facts in the page's language (search/words.json), and the feeds
// and calendars (feeds/<facet>/<value>.xml and .ics, courses/<id>/calendar.ics). Nothing is sent anywhere.
//
// The words it shows come from the page (data-text, from the theme's templates/_plans.html).

const page = document.querySelector("[data-shortlist], [data-compare], [data-calendar], [data-follow-page]");
const base = page ? page.dataset.base : "/";           // the pages in this language (and the facts' words)
const shared = page ? page.dataset.root || "/" : "/";   // what every language shares: data, cards, feeds
const lang = document.documentElement.lang || undefined;
const TEXT = readText();
const plurals = pluralRules(lang);
const ID = /^[a-z0-9]+(?:-[a-z0-9]+)*\/[a-z0-9]+(?:-[a-z0-9]+)*$/;
const COURSE_PATH = /\/courses\/([a-z0-9]+(?:-[a-z0-9]+)*)\/([a-z0-9]+(?:-[a-z0-9]+)*)\/$/;
const KEY = "catalogue-shortlist:" + shared;    // as shortlist.js keeps it
const MAX_COMPARED = 4;
const MAX_LISTED = 200;   // a shared link longer than this is cut: no one plans 200 courses
const ATOM = "http://www.w3.org/2005/Atom";

// --- words ----------------------------------------------------------------------------------------------

function readText() {
  try {
    return page && page.dataset.text ? JSON.parse(page.dataset.text) : {};
  } catch (error) {
    console.warn("The page's words for its script are not valid JSON.", error);
    return {};
  }
}

function pluralRules(code) {
  try {
    return new Intl.PluralRules(code);
  } catch (error) {
    return new Intl.PluralRules();
  }
}

// say("courses", { num: 3 }): the words for `key`, the plural form for `num` where it has some (for a number
// with a fraction, the message's own form for one where it has it: "11,5 kreditu ECTS").
function say(key, values = {}) {
  let words = TEXT[key];
  if (words && typeof words === "object") {
    const { fraction, ...forms } = words;
    const count = Number(values.count ?? values.num);
    words = (!Number.isInteger(count) && fraction) || (forms[plurals.select(count)] ?? forms.other ??
                                                        Object.values(forms).pop());
  }
  return String(words ?? "").replace(/%\((\w+)\)s/g, (match, name) => (name in values ? String(values[name]) : match));
}

const number = (x) => new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(x);

function money(amount, currency) {
  const whole = Number.isInteger(amount);
  try {
    return new Intl.NumberFormat(lang, { style: "currency", currency, minimumFractionDigits: whole ? 0 : 2,
                                         maximumFractionDigits: whole ? 0 : 2 }).format(amount);
  } catch (error) {   // a currency code the browser does not know
    return `${number(amount)} ${currency}`;
  }
}

// --- the shortlist in this browser (as shortlist.js keeps it) -------------------------------------------

function readList() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(list) ? [...new Set(list.filter((id) => typeof id === "string" && ID.test(id)))] : [];
  } catch (error) {
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

// The ids a link gives (?c=a/b,c/d), each once, in order.
function idsOf(text) {
  return [...new Set((text || "").split(",").map((id) => id.trim()).filter((id) => ID.test(id)))].slice(0, MAX_LISTED);
}

// --- published data -------------------------------------------------------------------------------------

let table = null;
let words = null;

function loadTable() {
  table ||= fetch(shared + "search/browse.json").then((r) => r.json()).then((t) => {
    t.known = new Set(t.courses.map((row) => row[0]));
    return t;
  });
  return table;
}

function loadWords() {
  words ||= fetch(base + "search/words.json").then((r) => r.json());
  return words;
}

let cards = null;
function loadCards() {   // every listed course's card, by its id
  cards ||= fetch(shared + "search/cards.json").then((r) => r.json())
    .then((all) => new Map(all.map((card) => [card.url.replace(/^courses\//, "").replace(/\/$/, ""), card])));
  return cards;
}

// The courses of a list that the catalogue still has, with their cards, and how many it no longer has.
async function coursesOf(ids) {
  const [found, said, byId] = await Promise.all([loadTable(), loadWords(), loadCards()]);
  const present = ids.filter((id) => found.known.has(`courses/${id}/`) && byId.has(id));
  return { cards: present.map((id) => byId.get(id)), words: said, gone: ids.length - present.length };
}

// The courses of a filtered view (OR within a facet, AND across facets), as the home page finds them.
function matching(found, filters) {
  const keys = found.facets.map(([key]) => key);
  const chosen = keys.map((key, k) => {
    const values = filters[key] || [];
    return values.length ? new Set(values.map((v) => found.facets[k][1].indexOf(v))) : null;
  });
  return new Set(found.courses.filter((row) => row[4].every((indices, k) => !chosen[k] || indices.some((i) => chosen[k].has(i))))
    .map((row) => row[0]));
}

function filtersOf(params, keys) {
  const filters = {};
  for (const key of keys) {
    const values = params.getAll(key).filter(Boolean);
    if (values.length) filters[key] = [...new Set(values)];
  }
  return filters;
}

// --- markup ---------------------------------------------------------------------------------------------

function node(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) if (value !== null && value !== undefined && value !== false) element.setAttribute(name, value);
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

const said = (table, kind, code) => table[kind]?.[code] ?? code;

// A course's texts in this page's language where it has a translation.
function textOf(data) {
  const own = data.translations?.[lang];
  return own ? { ...own, lang } : { title: data.title, summary: data.summary, lang: data.lang };
}

// The same markup as the card macro (templates/_macros.html) and the home page's cards (catalogue.js), with a
// heading of the given level; the shortlist's toggle and comparison box go at the end of its body.
function card(data, table, heading) {
  const text = textOf(data);
  const labels = TEXT.fact || {};
  const list = (kind, codes) => codes.map((code) => said(table, kind, code)).join(", ");
  const fact = (term, tag, ...value) => node("div", tag ? { class: "facts__tag" } : null,
                                             node("dt", null, labels[term] ?? ""), node("dd", null, ...value));
  const status = data.status === "open" ? "" : said(table, "status", data.status);
  const mark = data.logo
    ? node("img", { class: "mark", src: shared + data.logo, alt: "", width: "32", height: "32", loading: "lazy" })
    : node("span", { class: "mark mark--initial", "aria-hidden": "true" }, data.institution.slice(0, 1));
  return node("article", { class: "card" }, node("div", { class: "card__body" },
    node(heading, { class: "card__title" }, node("a", { href: base + data.url, lang: text.lang }, text.title)),
    node("p", { class: "card__institution" }, mark, node("span", null, data.institution)),
    status ? node("p", { class: `badge badge--${data.status}` }, status) : null,
    node("p", { class: "card__summary", lang: text.lang }, text.summary),
    node("dl", { class: "facts" },
      fact("credits", true, said(table, "credits", data.credits)),
      fact("level", true, node("abbr", { title: labels.eqf_title }, labels.eqf ?? ""), ` ${data.level}`),
      fact("mode", true, said(table, "mode", data.mode)),
      fact("starts", false, data.start ? said(table, "start", data.start) : labels.no_date ?? ""),
      fact("language", false, list("language", data.language)), fact("fee", false, said(table, "fee", data.fee)),
      fact("for", false, list("audience", data.audience))),
    node("p", { class: "card__save", "data-save-slot": data.id })));
}

// --- iCalendar (RFC 5545) ---------------------------------------------------------------------------------

const enc = new TextEncoder();

// A content line folded into lines of at most 75 octets, never inside a character (RFC 5545 §3.1).
function fold(line) {
  const parts = [];
  let current = "";
  let size = 0;
  let limit = 75;
  for (const character of line) {
    const bytes = enc.encode(character).length;
    if (size + bytes > limit) {
      parts.push(current);
      current = "";
      size = 0;
      limit = 74;   // continuation lines start with a space
    }
    current += character;
    size += bytes;
  }
  parts.push(current);
  return parts.join("\r\n ");
}

// A TEXT value escaped (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks.
const icsText = (text) => text.replace(/\\/g, "\\\\").replace(/;/g, "\\;").replace(/,/g, "\\,").replace(/\r\n|\r|\n/g, "\\n");

// The events (VEVENT blocks, as published: folded and escaped already) of an iCalendar file, with their UIDs
// and start dates.
function eventsOf(text) {
  const found = [];
  for (const block of text.split("BEGIN:VEVENT\r\n").slice(1)) {
    const body = "BEGIN:VEVENT\r\n" + block.slice(0, block.indexOf("END:VEVENT\r\n")) + "END:VEVENT\r\n";
    const unfolded = body.replace(/\r\n[ \t]/g, "");
    const uid = /^UID:(.*)$/m.exec(unfolded)?.[1].trim() ?? "";
    const start = /^DTSTART[^:]*:(.*)$/m.exec(unfolded)?.[1].trim() ?? "";
    found.push({ uid, start, body });
  }
  return found;
}

// The course id an event belongs to: its UID is `<institution>.<course>.<kind>@<host>`.
function eventCourse(uid) {
  const [institution, course] = uid.split("@")[0].split(".");
  return `${institution}/${course}`;
}

// One calendar of events, in the order the build's calendars have them (start date, then UID), each once.
function calendar(name, prodid, events) {
  const unique = [...new Map(events.map((e) => [e.uid, e])).values()];
  unique.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  const head = ["BEGIN:VCALENDAR", "VERSION:2.0", prodid, "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
                `NAME:${icsText(name)}`, `X-WR-CALNAME:${icsText(name)}`];
  return head.map((line) => fold(line) + "\r\n").join("") + unique.map((e) => e.body).join("") + "END:VCALENDAR\r\n";
}

const prodidOf = (text) => /^PRODID:.*$/m.exec(text)?.[0].trim() ?? "PRODID:-//microcredentials-catalogue//Catalogue//EN";

async function fetchText(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.text();
}

function download(anchor, text, type) {
  if (anchor.dataset.blob) URL.revokeObjectURL(anchor.dataset.blob);
  anchor.dataset.blob = URL.createObjectURL(new Blob([text], { type }));
  anchor.href = anchor.dataset.blob;
  anchor.hidden = false;
}

// --- the shortlist page -------------------------------------------------------------------------------------

async function shortlistPage() {
  const $ = (selector) => page.querySelector(selector);
  const given = new URLSearchParams(location.search).has("c") ? idsOf(new URLSearchParams(location.search).get("c")) : null;
  let ids = given ?? readList();
  const own = () => given === null || sameList(given, readList());
  const sameList = (a, b) => a.length === b.length && a.every((id) => b.includes(id));
  $("[data-adopt]").addEventListener("click", () => {
    writeList([...readList(), ...given.filter((id) => !readList().includes(id))]);
    $("[data-shared]").hidden = true;
    $("[data-list-section] h2").focus();
  });
  $("[data-print]").addEventListener("click", () => window.print());
  $("[data-copy]").addEventListener("click", async () => {
    const field = $("[data-share]");
    try {
      await navigator.clipboard.writeText(field.value);
    } catch (error) {
      field.select();
      document.execCommand("copy");
    }
    $("[data-copied]").textContent = say("copied");
  });
  document.addEventListener("shortlist-change", () => {
    if (given !== null) {
      $("[data-shared]").hidden = own();
      return;   // a shared list stays on screen as it came
    }
    const before = ids;
    ids = readList();
    if (ids.length < before.length) {
      render(ids).then(() => $("[data-list-section] h2").focus());
    } else {
      render(ids);
    }
  });
  $("[data-shared]").hidden = own();
  await render(ids);
  page.dataset.ready = "true";
}

async function render(ids) {
  const $ = (selector) => page.querySelector(selector);
  const { cards, words: table, gone } = await coursesOf(ids);
  $("[data-gone]").hidden = !gone;
  $("[data-gone]").textContent = gone ? say("gone", { num: number(gone), count: gone }) : "";
  $("[data-empty]").hidden = cards.length > 0;
  for (const part of ["[data-totals]", "[data-list-section]", "[data-actions]"]) $(part).hidden = !cards.length;
  const list = $("[data-list]");
  list.replaceChildren(...cards.map((data, i) => {
    const box = node("input", { type: "checkbox", id: `compare-${i}`, "data-compare-box": data.id });
    box.checked = i < MAX_COMPARED;
    const label = node("label", { for: `compare-${i}` }, say("compare"), node("span", { class: "visually-hidden" }, `: ${textOf(data).title}`));
    const item = node("li", { "data-course": data.id }, card(data, table, "h3"));
    item.querySelector(".card__body").append(node("p", { class: "card__compare" }, box, " ", label));
    return item;
  }));
  const path = location.pathname;
  $("[data-share]").value = new URL(path + "?c=" + cards.map((c) => c.id).join(","), location.href).href;
  totals(cards, table);
  const boxes = [...list.querySelectorAll("[data-compare-box]")];
  const compare = $("[data-compare-link]");
  const compareBase = compare.getAttribute("href").split("?")[0];
  const ticked = () => {
    const chosen = boxes.filter((b) => b.checked);
    for (const b of boxes) b.disabled = !b.checked && chosen.length >= MAX_COMPARED;
    compare.href = compareBase + "?c=" + chosen.map((b) => b.dataset.compareBox).join(",");
  };
  boxes.forEach((b) => b.addEventListener("change", ticked));
  ticked();
  const ics = $("[data-ics]");
  const dated = cards.filter((c) => c.calendar);
  if (dated.length) {
    const files = await Promise.all(dated.map((c) => fetchText(`${shared}${c.url}calendar.ics`)));
    download(ics, calendar(say("shortlist"), prodidOf(files[0]), files.flatMap(eventsOf)), "text/calendar");
  } else {
    ics.hidden = true;
  }
}

function totals(cards, table) {
  const $ = (selector) => page.querySelector(selector);
  $("[data-total=courses]").textContent = say("courses", { num: number(cards.length), count: cards.length });
  const credits = Math.round(cards.reduce((sum, c) => sum + Number(c.credits), 0) * 100) / 100;
  $("[data-total=credits]").textContent = say("credits", { num: number(credits), count: credits });
  const sums = new Map();
  let free = 0;
  let unstated = 0;
  for (const c of cards) {
    if (!c.fee) unstated += 1;
    else if (c.fee === "0") free += 1;
    else {
      const [amount, currency] = c.fee.split(" ");
      sums.set(currency, (sums.get(currency) || 0) + Number(amount));
    }
  }
  const fees = [...sums.keys()].sort().map((currency) => money(sums.get(currency), currency));
  const feeText = fees.length ? fees.join(" + ") : free ? say("free") : "";
  $("[data-total=fees]").replaceChildren(...[feeText, unstated ? say("noFee", { num: number(unstated), count: unstated }) : ""]
    .filter(Boolean).map((text) => node("span", { class: "totals__line" }, text)));
  const runs = cards.filter((c) => c.start).map((c) => ({ title: textOf(c).title, start: c.start, end: c.end || c.start }));
  const clashes = [];
  runs.forEach((a, i) => runs.slice(i + 1).forEach((b) => {
    if (a.start <= b.end && b.start <= a.end) clashes.push(say("clash", { first: a.title, second: b.title }));
  }));
  $("[data-total=clashes]").replaceChildren(...(clashes.length ? clashes : [say("none")])
    .map((text) => node("span", { class: "totals__line totals__line--plain" }, text)));
}

// --- the comparison -------------------------------------------------------------------------------------------

async function comparePage() {
  const $ = (selector) => page.querySelector(selector);
  const params = new URLSearchParams(location.search);
  let ids = params.has("c") ? idsOf(params.get("c")) : readList();
  $("[data-too-many]").hidden = ids.length <= MAX_COMPARED;
  ids = ids.slice(0, MAX_COMPARED);
  const { cards, words: table, gone } = await coursesOf(ids);
  $("[data-gone]").hidden = !gone;
  $("[data-gone]").textContent = gone ? say("gone", { num: number(gone), count: gone }) : "";
  $("[data-choose]").hidden = cards.length >= 2;
  $("[data-table-box]").hidden = $("[data-legend]").hidden = !cards.length;
  if (cards.length) compareTable(cards, table);
  page.dataset.ready = "true";
}

// Each fact's value of a course: [what is compared, what is shown (text or nodes), the language of the text].
function facts(c, table) {
  const labels = TEXT.fact || {};
  const date = (day) => (day ? said(table, "date", day) : say("notStated"));
  const code = (kind, value) => (value ? said(table, kind, value) : say("notStated"));
  const towards = c.stackable_towards ? `: ${c.stackable_towards}` : "";
  return {
    institution: [c.institution, c.institution],
    credits: [c.credits, said(table, "credits", c.credits)],
    workload: [c.workload, said(table, "workload", c.workload)],
    level: [c.level, [node("abbr", { title: labels.eqf_title }, labels.eqf ?? ""), ` ${c.level}`]],
    admission: [c.admission, code("admission", c.admission)],
    mode: [c.mode, said(table, "mode", c.mode)],
    language: [c.language.join(), c.language.map((l) => said(table, "language", l)).join(", ")],
    start: [c.start, c.start ? said(table, "start", c.start) : labels.no_date ?? ""],
    end: [c.end, date(c.end)],
    deadline: [c.deadline, date(c.deadline)],
    fee: [c.fee, said(table, "fee", c.fee)],
    assessment: [c.assessment, c.assessment, c.lang],
    supervision: [c.supervision, code("supervision", c.supervision)],
    stackability: [`${c.stackability}${towards}`, c.stackability ? said(table, "stackability", c.stackability) + towards : say("notStated")],
    europass: [String(c.europass), c.europass === true ? say("yes") : c.europass === false ? say("no") : say("notStated")],
  };
}

function compareTable(cards, table) {
  const $ = (selector) => page.querySelector(selector);
  const grid = $("[data-table]");
  $("[data-caption]").textContent = say("compared", { num: number(cards.length), count: cards.length });
  const all = cards.map((c) => facts(c, table));
  const head = node("tr", null, node("td"), ...cards.map((c) => {
    const text = textOf(c);
    return node("th", { scope: "col" }, node("a", { href: base + c.url, lang: text.lang }, text.title));
  }));
  const rows = Object.entries(TEXT.row || {}).map(([key, label]) => {
    const differs = new Set(all.map((f) => String(f[key][0] ?? ""))).size > 1;
    const heading = node("th", { scope: "row" }, label);
    if (differs) heading.append(" ", node("span", { class: "differs-mark" }, node("span", { "aria-hidden": "true" }, "≠ "), say("differs")));
    return node("tr", { class: differs ? "compare__row compare__row--differs" : "compare__row", "data-fact": key },
      heading, ...all.map((f) => {
        const [, shown, textLang] = f[key];
        return node("td", { lang: textLang }, ...(Array.isArray(shown) ? shown : [shown]));
      }));
  });
  grid.querySelector("thead")?.remove();
  grid.querySelector("tbody")?.remove();
  grid.append(node("thead", null, head), node("tbody", null, ...rows));
}

// --- the calendar's filters --------------------------------------------------------------------------------

async function calendarPage() {
  const $ = (selector) => page.querySelector(selector);
  const boxes = [...page.querySelectorAll("input[data-facet]")];
  const keys = [...new Set(boxes.map((b) => b.name))];
  const filters = $("[data-filters]");
  filters.hidden = false;
  const state = () => {
    const params = new URLSearchParams();
    for (const box of boxes.filter((b) => b.checked)) params.append(box.name, box.value);
    return params;
  };
  const apply = async (params) => {
    const chosen = filtersOf(params, keys);
    for (const box of boxes) box.checked = (chosen[box.name] || []).includes(box.value);
    const query = params.toString();
    const follow = $("[data-follow-link]");
    follow.href = follow.getAttribute("href").split("?")[0] + (query ? "?" + query : "");
    $("[data-follow]").hidden = !query;
    const shown = Object.keys(chosen).length ? matching(await loadTable(), chosen) : null;
    let total = 0;
    for (const month of page.querySelectorAll("[data-month]")) {
      let visible = 0;
      for (const item of month.querySelectorAll("li[data-course]")) {
        item.hidden = shown !== null && !shown.has(`courses/${item.dataset.course}/`);
        visible += item.hidden ? 0 : 1;
      }
      const list = month.querySelector("ul");
      if (list) list.hidden = !visible;
      month.querySelector("[data-none]").hidden = visible > 0;
      total += visible;
    }
    $("[data-status]").textContent = say("dates", { num: number(total), count: total });
    page.dataset.shown = query;
  };
  for (const box of boxes) {
    box.addEventListener("change", () => {
      const params = state();
      history.pushState(null, "", location.pathname + (params.toString() ? "?" + params : ""));
      apply(params);
    });
  }
  $("[data-reset]").addEventListener("click", () => {
    history.pushState(null, "", location.pathname);
    apply(new URLSearchParams());
  });
  window.addEventListener("popstate", () => apply(new URLSearchParams(location.search)));
  await apply(new URLSearchParams(location.search));
  page.dataset.ready = "true";
}

// --- following a search ----------------------------------------------------------------------------------------

function escapeXml(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

async function followPage() {
  const $ = (selector) => page.querySelector(selector);
  const feeds = [...page.querySelectorAll("li[data-feed]")];
  const keys = [...new Set(feeds.map((li) => li.dataset.feed))];
  const params = new URLSearchParams(location.search);
  const chosen = filtersOf(params, keys);
  const feedOf = (key, value) => feeds.find((li) => li.dataset.feed === key && li.dataset.value === value);
  const facetName = (key) => page.querySelector(`#feeds-${key}`).textContent;
  // values the catalogue does not have (an old link) are no filter at all
  for (const key of Object.keys(chosen)) {
    chosen[key] = chosen[key].filter((value) => feedOf(key, value));
    if (!chosen[key].length) delete chosen[key];
  }
  $("[data-words-note]").hidden = !params.get("q");
  const used = Object.keys(chosen);
  if (!used.length) {
    page.dataset.ready = "true";
    return;
  }
  $("[data-view]").hidden = false;
  $("[data-view-filters]").textContent = used.map((key) => `${facetName(key)}: ${chosen[key].map(
    (value) => feedOf(key, value).querySelector("[data-label]").textContent).join(", ")}`).join("; ");
  const found = await loadTable();
  const ids = matching(found, chosen);
  $("[data-view-count]").textContent = say("matching", { num: number(ids.size), count: ids.size });
  const single = used.length === 1 && chosen[used[0]].length === 1 ? feedOf(used[0], chosen[used[0]][0]) : null;
  $("[data-subscribe]").hidden = !single;
  if (single) {
    $("[data-subscribe-atom]").href = single.querySelector("[data-atom]").href;
    $("[data-subscribe-ics]").href = single.querySelector("[data-ics]").href;
  }
  // the feeds of the chosen facet with the fewest courses hold every course of the view: they are combined
  const count = (key) => chosen[key].reduce((n, value) => n + Number(feedOf(key, value).dataset.count), 0);
  const smallest = used.reduce((a, b) => (count(b) < count(a) ? b : a));
  const sources = chosen[smallest].map((value) => feedOf(smallest, value));
  const query = new URLSearchParams(used.flatMap((key) => chosen[key].map((value) => [key, value]))).toString();
  const name = `${say("search")}: ${$("[data-view-filters]").textContent}`;
  const stem = "courses-" + query.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").toLowerCase();
  const [atoms, calendars] = await Promise.all([
    Promise.all(sources.map((li) => fetchText(li.querySelector("[data-atom]").href))),
    Promise.all(sources.map((li) => fetchText(li.querySelector("[data-ics]").href))),
  ]);
  const atom = $("[data-download-atom]");
  atom.download = stem + ".xml";
  download(atom, atomFeed(atoms, ids, name, new URL(`${base}?${query}`, location.href).href,
                          new URL(`${location.pathname}?${query}`, location.href).href), "application/atom+xml");
  const ics = $("[data-download-ics]");
  ics.download = stem + ".ics";
  const events = calendars.flatMap(eventsOf).filter((e) => ids.has(`courses/${eventCourse(e.uid)}/`));
  download(ics, calendar(name, prodidOf(calendars[0]), events), "text/calendar");
  const opml = $("[data-download-opml]");
  opml.download = stem + ".opml";
  download(opml, outlines(used, chosen, feedOf, facetName, name), "text/x-opml");
  page.dataset.ready = "true";
}

// An Atom feed of the entries of `texts` (Atom feeds) whose courses are in `ids`, each once, newest first.
function atomFeed(texts, ids, title, home, self) {
  const entries = new Map();
  let head = null;
  for (const text of texts) {
    const doc = new DOMParser().parseFromString(text, "application/xml");
    head ||= doc.documentElement;
    for (const entry of doc.getElementsByTagNameNS(ATOM, "entry")) {
      const alternate = [...entry.getElementsByTagNameNS(ATOM, "link")].find((l) => l.getAttribute("rel") === "alternate");
      const found = alternate && COURSE_PATH.exec(new URL(alternate.getAttribute("href"), location.href).pathname);
      if (found && ids.has(`courses/${found[1]}/${found[2]}/`)) entries.set(`${found[1]}/${found[2]}`, entry);
    }
  }
  const child = (element, name) => element.getElementsByTagNameNS(ATOM, name)[0]?.textContent ?? "";
  const ordered = [...entries.entries()].sort(([a, x], [b, y]) =>
    child(y, "updated").localeCompare(child(x, "updated")) || a.localeCompare(b)).map(([, entry]) => entry);
  const updated = ordered.map((e) => child(e, "updated")).sort().pop() || "1970-01-01T00:00:00Z";
  const author = head ? child(head.getElementsByTagNameNS(ATOM, "author")[0] || head, "name") : "";
  const serializer = new XMLSerializer();
  return [
    "<?xml version='1.0' encoding='utf-8'?>",
    `<feed xmlns="${ATOM}" xml:lang="${escapeXml(head?.getAttribute("xml:lang") || "en")}">`,
    `  <id>${escapeXml(self)}</id>`,
    `  <title>${escapeXml(title)}</title>`,
    `  <updated>${escapeXml(updated)}</updated>`,
    `  <link rel="self" type="application/atom+xml" href="${escapeXml(self)}" />`,
    `  <link rel="alternate" type="text/html" href="${escapeXml(home)}" />`,
    `  <author><name>${escapeXml(author)}</name></author>`,
    ...ordered.map((entry) => "  " + serializer.serializeToString(entry).replace(` xmlns="${ATOM}"`, "")),
    "</feed>",
    "",
  ].join("\n");
}

// OPML 2.0: the Atom feed of each chosen filter value, grouped by facet, for a feed reader to import.
function outlines(used, chosen, feedOf, facetName, title) {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">',
                 `  <head><title>${escapeXml(title)}</title></head>`, "  <body>"];
  for (const key of used) {
    lines.push(`    <outline text="${escapeXml(facetName(key))}">`);
    for (const value of chosen[key]) {
      const li = feedOf(key, value);
      const label = li.querySelector("[data-label]").textContent;
      const home = new URL(`${base}?${new URLSearchParams([[key, value]])}`, location.href).href;
      lines.push(`      <outline type="rss" text="${escapeXml(label)}" title="${escapeXml(label)}" ` +
                 `xmlUrl="${escapeXml(li.querySelector("[data-atom]").href)}" htmlUrl="${escapeXml(home)}" />`);
    }
    lines.push("    </outline>");
  }
  lines.push("  </body>", "</opml>", "");
  return lines.join("\n");
}

// --- start ---------------------------------------------------------------------------------------------------

function failed(error) {
  console.warn("This page's list could not be made.", error);
  page.dataset.ready = "failed";
}

if (page) {
  for (const note of document.querySelectorAll("[data-needs-script]")) note.hidden = true;
  page.hidden = false;
  const run = page.matches("[data-shortlist]") ? shortlistPage : page.matches("[data-compare]") ? comparePage
    : page.matches("[data-calendar]") ? calendarPage : followPage;
  run().catch(failed);
}
