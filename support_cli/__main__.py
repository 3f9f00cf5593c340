from support_cli.cli import console

console()
