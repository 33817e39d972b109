from panodepth.cli.main import main

raise SystemExit(main())
