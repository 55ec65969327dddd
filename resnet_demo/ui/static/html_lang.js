// The page's language on <html>, as its tag (static/lang.html): Chinese text then takes Chinese
// glyphs ("zh-CN"), not Japanese ones.
(lang) => {
  document.documentElement.lang = window.resnetDemo.tags[lang] || 'en';
  return lang;
}
