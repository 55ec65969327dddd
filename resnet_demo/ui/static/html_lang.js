// The page's language on <html>: Chinese text then takes Chinese glyphs, not Japanese ones.
(lang) => {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  return lang;
}
