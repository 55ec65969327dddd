element.addEventListener('click', (event) => {
  const mode = event.target.closest('button[data-mode]');
  if (mode) {
    const modes = Object.assign({}, props.value.modes);
    modes[mode.dataset.block] = mode.dataset.mode;
    props.value = Object.assign({}, props.value, { modes: modes });
    trigger('flip');
    return;
  }
  const name = event.target.closest('button[data-inspect]');
  if (name) {
    props.value = Object.assign({}, props.value, { selected: name.dataset.inspect });
    trigger('inspect');
  }
});
