from tawtiq.cli import main

main()
