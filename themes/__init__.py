# Theme files that ship with lrtui; copy one, edit it, pass it with --theme FILE.toml.
