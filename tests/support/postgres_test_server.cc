#include "tests/support/postgres_test_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/support/free_port.h"

namespace proctor::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kSuperuser[] = "proctor";

struct Child {
  pid_t pid = -1;
  std::string error;
};

// Forks and execs argv[0] with stdout and stderr to log_fd, as uid/gid when switch_user.
// die_with_parent: the child gets SIGKILL when this process dies (the server must not outlive a
// crashed test).
Child Spawn(const std::vector<std::string>& args, int log_fd, bool switch_user, uid_t uid,
            gid_t gid, bool die_with_parent) {
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return {-1, absl::StrCat("fork: ", std::strerror(errno))};
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    if (switch_user && (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)) {
      ::_exit(126);
    }
    // After setuid: changing credentials clears the parent-death signal.
    if (die_with_parent && (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent)) {
      ::_exit(125);
    }
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return {pid, ""};
}

// Waits until the server that `pid` runs says it is ready in its postmaster.pid (line 1 its pid,
// line 8 its status), the process exits, or time runs out. Not a connection attempt: with tests
// running in parallel, another test's server may answer on the port this one failed to bind.
absl::Status WaitUntilReady(pid_t pid, const std::string& data_dir, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(data_dir + "/postmaster.pid");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    if (lines.size() >= 8 && lines[0] == std::to_string(pid) && lines[7].rfind("ready", 0) == 0) {
      return absl::OkStatus();
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return absl::UnavailableError(
          absl::StrCat("postgres exited during start-up (status ", status, ")"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("postgres did not become ready within ", timeout_ms, " ms"));
}

}  // namespace

absl::StatusOr<std::string> FindPostgresBinDir() {
  if (const char* env = std::getenv("PROCTOR_PG_BINDIR"); env != nullptr && *env != '\0') {
    if (fs::exists(fs::path(env) / "postgres") && fs::exists(fs::path(env) / "initdb")) return env;
    return absl::FailedPreconditionError(
        absl::StrCat("PROCTOR_PG_BINDIR=", env, " holds no postgres and initdb binaries"));
  }
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string version = entry.path().filename().string();
    const fs::path bin = entry.path() / "bin";
    if (!fs::exists(bin / "postgres") || !fs::exists(bin / "initdb")) continue;
    const int number = std::atoi(version.c_str());
    if (number > best_version) best_version = number, best = bin.string();
  }
  if (best.empty()) {
    return absl::FailedPreconditionError(
        "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/postgres and no "
        "PROCTOR_PG_BINDIR): install the Debian package postgresql (scripts/setup.sh does)");
  }
  return best;
}

absl::StatusOr<std::unique_ptr<PostgresTestServer>> PostgresTestServer::Start(
    const PostgresTestServerOptions& options) {
  std::unique_ptr<PostgresTestServer> server(new PostgresTestServer());
  server->options_ = options;
  auto bin_dir = FindPostgresBinDir();
  if (!bin_dir.ok()) return bin_dir.status();
  server->bin_dir_ = *bin_dir;

  if (::geteuid() == 0) {
    // initdb and postgres refuse to run as root.
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) {
      return absl::FailedPreconditionError(
          "running as root, and there is no 'postgres' user to run the PostgreSQL server as "
          "(the Debian package postgresql creates it)");
    }
    server->switch_user_ = true;
    server->uid_ = user->pw_uid;
    server->gid_ = user->pw_gid;
  }

  // The server's user must reach the directory: as root, /tmp rather than a $TMPDIR that may
  // sit under /root.
  const fs::path temp = server->switch_user_ ? fs::path("/tmp") : fs::temp_directory_path();
  std::string pattern = (temp / "proctor_pg.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
  }
  server->dir_ = pattern;
  if (server->switch_user_ && ::chown(server->dir_.c_str(), server->uid_, server->gid_) != 0) {
    return absl::InternalError(absl::StrCat("chown ", server->dir_, ": ", std::strerror(errno)));
  }

  const std::string log_path = server->dir_ + "/server.log";
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError(absl::StrCat("open ", log_path));
  Child initdb = Spawn({server->bin_dir_ + "/initdb", "-D", server->dir_ + "/data", "-A", "trust",
                        "-U", kSuperuser, "-E", "UTF8", "--locale=C", "-N", "--no-instructions"},
                       log_fd, server->switch_user_, server->uid_, server->gid_, false);
  ::close(log_fd);
  if (initdb.pid < 0) return absl::InternalError(initdb.error);
  int status = 0;
  ::waitpid(initdb.pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat("initdb failed (status ", status, "): ", server->LogTail()));
  }
  // The port is free when chosen, not necessarily when the server binds it: try a few.
  absl::Status started;
  for (int attempt = 0; attempt < 3; ++attempt) {
    server->port_ = FreeLoopbackPort();
    started = server->RunServer();
    if (started.ok()) return server;
  }
  return started;
}

PostgresTestServer::~PostgresTestServer() {
  if (pid_ > 0) {
    if (!Stop().ok()) (void)Kill();
  }
  std::error_code ignored;
  if (!dir_.empty()) fs::remove_all(dir_, ignored);
}

std::string PostgresTestServer::Uri(const std::string& database) const {
  return absl::StrCat("postgresql://", kSuperuser, "@127.0.0.1:", port_, "/", database);
}

absl::Status PostgresTestServer::RunServer() {
  const int log_fd =
      ::open((dir_ + "/server.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError("opening the server log");
  std::vector<std::string> args = {bin_dir_ + "/postgres",
                                   "-D",
                                   dir_ + "/data",
                                   "-p",
                                   std::to_string(port_),
                                   "-c",
                                   "listen_addresses=127.0.0.1",
                                   "-c",
                                   "unix_socket_directories=",
                                   "-c",
                                   "dynamic_shared_memory_type=mmap",
                                   "-c",
                                   "max_connections=60"};
  if (!options_.durable) {
    for (const char* setting : {"fsync=off", "full_page_writes=off"}) {
      args.insert(args.end(), {"-c", setting});
    }
  }
  for (const std::string& setting : options_.settings) args.insert(args.end(), {"-c", setting});
  Child child = Spawn(args, log_fd, switch_user_, uid_, gid_, true);
  ::close(log_fd);
  if (child.pid < 0) return absl::InternalError(child.error);
  pid_ = child.pid;
  absl::Status ready = WaitUntilReady(pid_, dir_ + "/data", 30000);
  if (!ready.ok()) {
    if (::kill(pid_, 0) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
    return absl::Status(ready.code(), absl::StrCat(ready.message(), ": ", LogTail()));
  }
  return absl::OkStatus();
}

absl::Status PostgresTestServer::WaitForExit(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("postgres (pid ", pid_, ") did not exit within ", timeout_ms, " ms"));
}

absl::Status PostgresTestServer::Stop() {
  if (pid_ <= 0) return absl::FailedPreconditionError("the server is not running");
  ::kill(pid_, SIGINT);  // fast shutdown: roll back, disconnect, checkpoint
  return WaitForExit(15000);
}

absl::Status PostgresTestServer::Kill() {
  if (pid_ <= 0) return absl::FailedPreconditionError("the server is not running");
  ::kill(pid_, SIGKILL);
  return WaitForExit(15000);
}

absl::Status PostgresTestServer::Restart() {
  if (pid_ > 0) return absl::FailedPreconditionError("the server is running");
  // After a SIGKILL, backends may hold the old shared memory for a moment: retry for a while.
  absl::Status started;
  for (int attempt = 0; attempt < 20; ++attempt) {
    started = RunServer();
    if (started.ok()) return started;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return started;
}

absl::Status PostgresTestServer::Execute(const std::string& database, const std::string& sql) {
  PGconn* conn = PQconnectdb(absl::StrCat("host=127.0.0.1 port=", port_, " user=", kSuperuser,
                                          " dbname=", database, " connect_timeout=5")
                                 .c_str());
  absl::Status status;
  if (PQstatus(conn) != CONNECTION_OK) {
    status = absl::UnavailableError(
        absl::StrCat("connecting to ", database, ": ", PQerrorMessage(conn)));
  } else {
    PGresult* result = PQexec(conn, sql.c_str());
    const ExecStatusType code = PQresultStatus(result);
    if (code != PGRES_COMMAND_OK && code != PGRES_TUPLES_OK) {
      status = absl::InternalError(absl::StrCat(sql, ": ", PQerrorMessage(conn)));
    }
    PQclear(result);
  }
  PQfinish(conn);
  return status;
}

absl::StatusOr<std::string> PostgresTestServer::CreateDatabase(const std::string& name) {
  absl::Status created = Execute("postgres", absl::StrCat("CREATE DATABASE \"", name,
                                                          "\" ENCODING 'UTF8' TEMPLATE template0"));
  if (!created.ok()) return created;
  return Uri(name);
}

std::string PostgresTestServer::LogTail() const {
  std::ifstream in(dir_ + "/server.log");
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace proctor::testing
