/* The pod sandbox's process: holds the pod's namespaces open and reaps orphans, as
 * registry.k8s.io/pause does, which no registry here can serve. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void reap(int signo) {
  (void)signo;
  while (waitpid(-1, 0, WNOHANG) > 0) {
  }
}

static void stop(int signo) {
  (void)signo;
  _exit(0);
}

int main(void) {
  if (getpid() != 1) {
    return 1;
  }
  signal(SIGINT, stop);
  signal(SIGTERM, stop);
  signal(SIGCHLD, reap);
  for (;;) {
    pause();
  }
}
