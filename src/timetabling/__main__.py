import sys

from timetabling.cli import main

sys.exit(main())
