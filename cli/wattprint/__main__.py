from wattprint.cli import main

main()
