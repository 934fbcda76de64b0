// SPDX-License-Identifier: GPL-2.0
#include "tf_import.h"

#include "error.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

extern char **environ;

namespace kinfer {

namespace {

// What kinfer.tf.convert exits with (models/src/kinfer/tf/convert.py).
constexpr int kExitModel = 3, kExitMissing = 4;
constexpr const char *kInstall =
	"converting a TensorFlow model needs Python with kinfer.tf, tensorflow-cpu 2.21.0, keras and "
	"tf2onnx 1.17.0: pip install 'kinfer[tf]' (models/), or set KINFER_PYTHON to a Python that "
	"has them";

bool ends_with(const std::string &s, const std::string &tail)
{
	return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string python()
{
	const char *env = getenv("KINFER_PYTHON");
	if (env && *env)
		return env;
	if (access(KINFER_VENV_PYTHON, X_OK) == 0)
		return KINFER_VENV_PYTHON;
	return "python3";
}

std::string shape_arg(const std::string &name, const Shape &s)
{
	std::string a = name + "=";
	for (size_t i = 0; i < s.size(); i++)
		a += (i ? "," : "") + std::to_string(s[i]);
	return a;
}

// The converter's last stderr line, without its "kinfer.tf.convert: " prefix.
std::string reason(const std::string &err)
{
	std::string e = err;
	while (!e.empty() && e.back() == '\n')
		e.pop_back();
	size_t nl = e.rfind('\n');
	std::string last = nl == std::string::npos ? e : e.substr(nl + 1);
	const std::string prefix = "kinfer.tf.convert: ";
	return last.compare(0, prefix.size(), prefix) == 0 ? last.substr(prefix.size()) : last;
}

// Run argv with stderr captured into `err`; the exit status, or -1 when
// it could not be started.
int run(const std::vector<std::string> &argv, std::string &err)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		throw KernelError("cannot run the TensorFlow converter: " + errno_name(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	std::vector<char *> args;
	for (const std::string &a : argv)
		args.push_back(const_cast<char *>(a.c_str()));
	args.push_back(nullptr);
	pid_t pid;
	int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc != 0) {
		close(pipefd[0]);
		return -1;
	}
	char buf[4096];
	ssize_t n;
	while ((n = read(pipefd[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			err.append(buf, (size_t)n);
	close(pipefd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace

bool is_tf_source(const std::string &path)
{
	struct stat st;
	if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
		return true;
	return ends_with(path, ".keras") || ends_with(path, ".h5");
}

TfConversion::TfConversion(const std::string &source, const ShapeOverrides &shapes)
{
	char tmpl[] = "/tmp/kinfer-tf-XXXXXX";
	if (!mkdtemp(tmpl))
		throw KernelError("cannot make a temporary directory: " + errno_name(errno));
	dir_ = tmpl;
	onnx_ = dir_ + "/model.onnx";
	std::vector<std::string> argv{python(), "-m", "kinfer.tf.convert", source, onnx_};
	for (const auto &[name, shape] : shapes) {
		argv.push_back("--shape");
		argv.push_back(shape_arg(name, shape));
	}
	std::string err;
	int rc = run(argv, err);
	if (rc == 0)
		return;
	unlink(onnx_.c_str());
	rmdir(dir_.c_str());
	if (rc == kExitModel) {
		std::string why = reason(err);	// kinfer.tf names the file itself
		throw ModelError(why.rfind(source, 0) == 0 ? why : source + ": " + why);
	}
	if (rc == kExitMissing || rc == -1 || rc == 127 || err.find("No module named") != std::string::npos)
		throw UsageError(source + ": " + kInstall + (err.empty() ? "" : " (" + reason(err) + ")"));
	throw ModelError(source + ": the TensorFlow converter failed (exit " + std::to_string(rc) +
			 "): " + reason(err));
}

TfConversion::~TfConversion()
{
	unlink(onnx_.c_str());
	rmdir(dir_.c_str());
}

} // namespace kinfer
