#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "p9.h"
#include "testutil.h"
static void t_none(void **s) { (void)s; }
int main(void) { const struct CMUnitTest t[] = { cmocka_unit_test(t_none) }; return cmocka_run_group_tests(t, NULL, NULL); }
