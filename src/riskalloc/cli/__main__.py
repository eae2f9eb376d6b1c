from riskalloc.cli import main

main()
