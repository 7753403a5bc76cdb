from lrtui.commands.main import program

program()
