from lanewarden.cli.main import entry

entry()
