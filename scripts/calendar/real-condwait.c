// Preloaded before libfaketime by scripts/check-calendar.sh. libfaketime moves the deadline of
// every pthread_cond_timedwait by the fake offset, assuming the caller computed it from the
// faked clock. chDB reads the clock through the vDSO itself (unfaked), so its idle thread pools
// got deadlines months in the past and spun at 100 % CPU. Waits here use the deadline as given:
// chDB's are real, and Node's (libuv, V8) are on CLOCK_MONOTONIC, which stays real under
// FAKETIME_DONT_FAKE_MONOTONIC=1.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <time.h>

typedef int (*timedwait_fn)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);

int pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex, const struct timespec *abstime) {
  static timedwait_fn real;
  if (!real) {
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    real = (timedwait_fn)dlvsym(libc, "pthread_cond_timedwait", "GLIBC_2.3.2");
  }
  return real(cond, mutex, abstime);
}
