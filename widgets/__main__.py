from .apps import main

main()
