"""`python -m mock_em` is `mock-em`."""

from mock_em.cli import main

raise SystemExit(main())
