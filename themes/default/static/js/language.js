// The language switcher: a language chosen there is remembered (Netlify's nf_lang cookie, which its redirect
// of the home page to the browser's language gives way to), so the home page keeps the visitor's choice.
// The links work without this script; it only remembers.
for (const link of document.querySelectorAll("a[data-language]")) {
  link.addEventListener("click", () => {
    document.cookie = `nf_lang=${link.dataset.language}; path=/; max-age=31536000; SameSite=Lax`;
  });
}
