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

// Every change made here gets the next revision, sent with the value; the server's answer
// carries the revision it answers. An answer to an older request (a slow one, or one that ran
// while Gradio held the newer flip back) must not undo the newer change: the strip keeps its
// own modes and selection, and asks again when the newest flip may not have been sent.
let local = null;  // { modes, selected, rev, flipRev }: the newest change made here

const change = (patch, event) => {
  const rev = Math.max(local ? local.rev : 0, props.value.rev || 0) + 1;
  props.value = Object.assign({}, props.value, patch, { rev: rev });
  const flipRev = event === 'flip' ? rev : (local ? local.flipRev : 0);
  local = { modes: props.value.modes, selected: props.value.selected, rev: rev, flipRev: flipRev };
  trigger(event);
};

const sameBlocks = (a, b) => {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((name) => name in b);
};

watch('value', () => {
  const value = props.value;
  if (!local || (value.rev || 0) >= local.rev) return;  // the answer to the newest change
  if (!sameBlocks(value.modes || {}, local.modes)) { local = null; return; }  // another model
  props.value = Object.assign({}, value, { modes: local.modes, selected: local.selected, rev: local.rev });
  if ((value.rev || 0) < local.flipRev) trigger('flip');
});

const flip = (modes) => change({ modes: modes }, 'flip');

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
    change({ selected: block }, 'inspect');
  }
});
