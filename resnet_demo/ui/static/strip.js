// Every control of the strip is a <button>: a click, Enter or Space changes `props.value` and
// fires "flip" (a mode or a stage preset) or "inspect" (a block's name or compact cell).
// A value change redraws the strip, so the control that had the focus gets it back.
let focusKey = null;
let moveTo = null;  // a control to focus once the redraw is done (Enter on a compact cell)

const keyOf = (el) => {
  if (!el || !element.contains(el)) return null;
  for (const attr of ['data-cell', 'data-inspect', 'data-stage']) {
    if (el.hasAttribute(attr)) {
      const extra = attr === 'data-stage' ? `[data-set="${el.dataset.set}"]` : '';
      return `button[${attr}="${el.getAttribute(attr)}"]${extra}`;
    }
  }
  if (el.dataset.mode) return `button[data-block="${el.dataset.block}"][data-mode="${el.dataset.mode}"]`;
  return null;
};

element.addEventListener('focusin', (event) => { focusKey = keyOf(event.target) || focusKey; });
document.addEventListener('pointerdown', (event) => {
  if (!element.contains(event.target)) focusKey = null;
});
new MutationObserver(() => {
  if (moveTo) {
    const target = element.querySelector(moveTo);
    if (target) {
      moveTo = null;
      target.focus({ preventScroll: true });
    }
    return;
  }
  const active = document.activeElement;
  if (!focusKey || (active && active !== document.body)) return;  // focus is still somewhere
  const again = element.querySelector(focusKey);
  if (again) again.focus({ preventScroll: true });
}).observe(element, { childList: true, subtree: true });

const flip = (modes) => {
  props.value = Object.assign({}, props.value, { modes: modes });
  trigger('flip');
};

element.addEventListener('click', (event) => {
  const mode = event.target.closest('button[data-mode]');
  if (mode) {
    const modes = Object.assign({}, props.value.modes);
    modes[mode.dataset.block] = mode.dataset.mode;
    focusKey = keyOf(mode);
    flip(modes);
    return;
  }
  const preset = event.target.closest('button[data-stage]');
  if (preset) {
    const modes = Object.assign({}, props.value.modes);
    for (const name of Object.keys(modes)) {
      if (name.startsWith(preset.dataset.stage + '.')) modes[name] = preset.dataset.set;
    }
    focusKey = keyOf(preset);
    flip(modes);
    return;
  }
  const cell = event.target.closest('button[data-cell]');
  const name = cell ? null : event.target.closest('button[data-inspect]');
  const block = cell ? cell.dataset.cell : name ? name.dataset.inspect : null;
  if (block) {
    // From the keyboard (a click with no pointer), go on to the block's mode buttons.
    const current = props.value.modes[block] || 'intact';
    focusKey = keyOf(cell || name);
    if (cell && event.detail === 0) {
      moveTo = `button[data-block="${block}"][data-mode="${current}"]`;
      focusKey = moveTo;
    }
    props.value = Object.assign({}, props.value, { selected: block });
    trigger('inspect');
  }
});
