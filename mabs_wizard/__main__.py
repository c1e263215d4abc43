from mabs_wizard.cli import main

main()
