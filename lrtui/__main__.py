from lrtui.commands.main import main

raise SystemExit(main())
