() => {
  // The page's first state for the next group: reload from the top (a new session).
  history.scrollRestoration = 'manual';
  window.scrollTo(0, 0);
  window.location.reload();
}
