from unittest import mock

from tests.web.test_scoped_generation import ScopedGenerationTest


class Neg(ScopedGenerationTest):
    def setUp(self):
        super().setUp()
        p = mock.patch("timetabling.web.scheduling.scope.keep_others_fixed", lambda i, *a: (i, 0))
        p.start()
        self.addCleanup(p.stop)
