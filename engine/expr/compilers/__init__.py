"""Back ends for the expression tree: one class per back end, a method per node key."""
