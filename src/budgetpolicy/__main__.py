import sys

from budgetpolicy.cli import main

sys.exit(main())
