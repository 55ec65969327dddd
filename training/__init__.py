"""Training recipes, kept outside the runtime package (as torchvision keeps its own in
`references/`): the app and the CLI never import this folder.

- `train_embedded`: trains the embedded model on synthetic shapes and writes its weights, model
  card and example pictures (`python -m training.train_embedded`).
"""
