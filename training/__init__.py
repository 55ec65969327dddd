"""Training recipes, kept outside the runtime package (as torchvision keeps its own in
`references/`): the app and the CLI never import this folder.

- `train_embedded`: trains the embedded model on synthetic shapes and writes its weights, model
  card and example pictures (`python -m training.train_embedded`).
- `train_deep`: trains `embedded-deep` (27 residual blocks, 32 px, plain training for a
  wall-clock budget) and writes its weights and the training half of its card
  (`python -m training.train_deep --minutes 60`).
- `measure_deep`: measures `embedded-deep` on fresh shapes (top-1, single and random lesions)
  and completes its card (`python -m training.measure_deep`).
"""
