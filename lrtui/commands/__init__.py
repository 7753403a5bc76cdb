"""The command line: `lrtui` and its subcommands. The headless ones (run, find-lr, compare) import no Textual."""
