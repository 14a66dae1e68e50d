"""One module per `portgate` command group; `portgate.cli` assembles them."""
