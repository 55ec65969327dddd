// Gradio's "queue full" text is fixed; say it the way this app does, in the page's language.
(() => {
  const messages = __MESSAGES__;
  const busy = __BUSY_GRADIO__;
  const lang = () => {
    const checked = document.querySelector('#lang input:checked');
    return checked && checked.value === 'zh' ? 'zh' : 'en';
  };
  const fix = (node) => {
    if (node.nodeType === Node.TEXT_NODE && node.textContent.includes(busy.trim())) {
      node.textContent = messages[lang()];
    }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'characterData') fix(r.target);
      for (const n of r.addedNodes) {
        fix(n);
        if (n.nodeType === Node.ELEMENT_NODE) {
          const walker = document.createTreeWalker(n, NodeFilter.SHOW_TEXT);
          while (walker.nextNode()) fix(walker.currentNode);
        }
      }
    }
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
})();
