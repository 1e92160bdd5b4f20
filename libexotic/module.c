// SPDX-License-Identifier: LGPL-2.1-or-later
/* Module load and unload through libkmod. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <libkmod.h>

#include "internal.h"

/* libkmod's messages go through the context's log function. */
static void kmod_log_forward(void *data, int priority, const char *file,
			     int line, const char *fn, const char *format,
			     va_list args)
{
	const struct exotic_ctx *ctx = data;

	if (ctx->log_fn && priority <= ctx->log_priority)
		ctx->log_fn(ctx->log_data, priority, file, line, fn, format, args);
}

static struct kmod_ctx *ctx_kmod(struct exotic_ctx *ctx)
{
	if (!ctx->kmod) {
		ctx->kmod = kmod_new(NULL, NULL);
		if (!ctx->kmod) {
			exotic_err(ctx, "kmod_new() failed: %m\n");
			return NULL;
		}
		kmod_set_log_fn(ctx->kmod, kmod_log_forward, ctx);
		kmod_set_log_priority(ctx->kmod, ctx->log_priority);
	}
	kmod_set_log_priority(ctx->kmod, ctx->log_priority);
	return ctx->kmod;
}

static void explain_insert_error(struct exotic_ctx *ctx, const char *what, int r)
{
	switch (r) {
	case -EEXIST:
		exotic_info(ctx, "%s is already loaded\n", what);
		break;
	case -EPERM:
		exotic_err(ctx, "loading %s: operation not permitted (needs CAP_SYS_MODULE; modules_disabled?)\n",
			   what);
		break;
	case -ENOEXEC:
		exotic_err(ctx, "loading %s: invalid module format: build it for the running kernel\n",
			   what);
		break;
	case -ENOENT:
		exotic_err(ctx, "loading %s: not found or unknown symbol: install it for the running kernel or pass the .ko path\n",
			   what);
		break;
	default:
		exotic_err(ctx, "loading %s: %s (see dmesg: bad parameters are reported there)\n",
			   what, strerror(-r));
		break;
	}
}

static int module_load(struct exotic_ctx *ctx, const char *name_or_path,
		       const char *params)
{
	struct kmod_ctx *kmod;
	struct kmod_module *mod = NULL;
	struct kmod_list *list = NULL, *l;
	int r;

	if (!ctx || !name_or_path || !*name_or_path)
		return -EINVAL;
	kmod = ctx_kmod(ctx);
	if (!kmod)
		return -ENOMEM;
	if (strchr(name_or_path, '/')) {
		r = kmod_module_new_from_path(kmod, name_or_path, &mod);
		if (r < 0) {
			exotic_err(ctx, "module file %s: %s\n", name_or_path,
				   strerror(-r));
			return r;
		}
		r = kmod_module_insert_module(mod, 0, params);
		if (r < 0)
			explain_insert_error(ctx, name_or_path, r);
		else
			exotic_info(ctx, "loaded %s %s\n", name_or_path,
				    params ? params : "");
		kmod_module_unref(mod);
		return r;
	}
	r = kmod_module_new_from_lookup(kmod, name_or_path, &list);
	if (r < 0) {
		exotic_err(ctx, "looking up module %s: %s\n", name_or_path,
			   strerror(-r));
		return r;
	}
	if (!list) {
		struct utsname u;

		uname(&u);
		exotic_err(ctx, "module %s not found for kernel %s: install it (make install, dkms) and run depmod, or pass the .ko path\n",
			   name_or_path, u.release);
		return -ENOENT;
	}
	r = -ENOENT;
	kmod_list_foreach(l, list) {
		mod = kmod_module_get_module(l);
		r = kmod_module_probe_insert_module(mod, KMOD_PROBE_FAIL_ON_LOADED,
						    params, NULL, NULL, NULL);
		if (r > 0)	/* a blacklist or install-command verdict */
			r = -EPERM;
		if (r < 0)
			explain_insert_error(ctx, kmod_module_get_name(mod), r);
		else
			exotic_info(ctx, "loaded %s %s\n", kmod_module_get_name(mod),
				    params ? params : "");
		kmod_module_unref(mod);
		break;
	}
	kmod_module_unref_list(list);
	return r;
}

static int module_get(struct exotic_ctx *ctx, const char *name,
		      struct kmod_module **mod)
{
	struct kmod_ctx *kmod;
	int r;

	if (!ctx || !name || !*name || strchr(name, '/'))
		return -EINVAL;
	kmod = ctx_kmod(ctx);
	if (!kmod)
		return -ENOMEM;
	r = kmod_module_new_from_name(kmod, name, mod);
	if (r < 0)
		exotic_err(ctx, "module %s: %s\n", name, strerror(-r));
	return r;
}

static int module_state(struct exotic_ctx *ctx, struct kmod_module *mod)
{
	int state = kmod_module_get_initstate(mod);

	if (state == -ENOENT)
		return 0;
	if (state < 0) {
		exotic_err(ctx, "state of module %s: %s\n",
			   kmod_module_get_name(mod), strerror(-state));
		return state;
	}
	return state == KMOD_MODULE_GOING ? 0 : 1;
}

/* module_state() of the module named, which is held in *mod unless < 0 */
static int module_get_state(struct exotic_ctx *ctx, const char *name,
			    struct kmod_module **mod)
{
	int r;

	r = module_get(ctx, name, mod);
	if (r < 0)
		return r;
	r = module_state(ctx, *mod);
	if (r < 0)
		kmod_module_unref(*mod);
	return r;
}

static int module_is_loaded(struct exotic_ctx *ctx, const char *name)
{
	struct kmod_module *mod;
	int r;

	r = module_get_state(ctx, name, &mod);
	if (r >= 0)
		kmod_module_unref(mod);
	return r;
}

static int module_unload(struct exotic_ctx *ctx, const char *name)
{
	struct kmod_module *mod;
	int r;

	r = module_get_state(ctx, name, &mod);
	if (r < 0)
		return r;
	if (r == 0) {
		exotic_err(ctx, "module %s is not loaded\n", name);
		r = -ENOENT;
		goto out;
	}
	if (kmod_module_get_initstate(mod) == KMOD_MODULE_BUILTIN) {
		exotic_err(ctx, "module %s is built into the kernel\n", name);
		r = -EPERM;
		goto out;
	}
	r = kmod_module_remove_module(mod, 0);
	if (r == -EAGAIN || r == -EBUSY) {
		exotic_err(ctx, "module %s is in use (refcount %d): close its files and unmap its regions first\n",
			   name, kmod_module_get_refcnt(mod));
		r = -EBUSY;
	} else if (r < 0) {
		exotic_err(ctx, "unloading %s: %s\n", name, strerror(-r));
	} else {
		exotic_info(ctx, "unloaded %s\n", name);
	}
out:
	kmod_module_unref(mod);
	return r;
}

/* libkmod is not thread-safe: one call at a time per ctx. */
EXOTIC_EXPORT int exotic_module_load(struct exotic_ctx *ctx,
				     const char *name_or_path,
				     const char *params)
{
	int r;

	if (!ctx)
		return -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	r = module_load(ctx, name_or_path, params);
	pthread_mutex_unlock(&ctx->lock);
	return r;
}

/* fn(ctx, name) under the context's lock */
static int locked(struct exotic_ctx *ctx, int (*fn)(struct exotic_ctx *, const char *),
		  const char *name)
{
	int r;

	if (!ctx)
		return -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	r = fn(ctx, name);
	pthread_mutex_unlock(&ctx->lock);
	return r;
}

EXOTIC_EXPORT int exotic_module_unload(struct exotic_ctx *ctx,
				       const char *name)
{
	return locked(ctx, module_unload, name);
}

EXOTIC_EXPORT int exotic_module_is_loaded(struct exotic_ctx *ctx,
					  const char *name)
{
	return locked(ctx, module_is_loaded, name);
}

/* ------------------------------------------------------------ parameters */

static int param_path(char *path, size_t size, const char *module,
		      const char *name)
{
	if (!module || !name || !*module || !*name || strchr(module, '/') ||
	    strchr(name, '/'))
		return -EINVAL;
	if ((size_t)snprintf(path, size, "/sys/module/%s/parameters/%s", module,
			     name) >= size)
		return -ENAMETOOLONG;
	return 0;
}

int exotic_module_param_write(struct exotic_ctx *ctx, const char *module,
			      const char *name, const char *value)
{
	char path[256];
	size_t len;
	ssize_t n;
	int fd, ret = param_path(path, sizeof(path), module, name);

	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = exotic_neg_errno();
		exotic_err(ctx, "%s: %s\n", path, strerror(-ret));
		return ret;
	}
	len = strlen(value);
	n = write(fd, value, len);
	ret = n < 0 ? exotic_neg_errno() : (size_t)n == len ? 0 : -EIO;
	close(fd);
	if (ret)
		exotic_err(ctx, "%s: writing '%s': %s\n", path, value, strerror(-ret));
	return ret;
}

int exotic_module_param_read(struct exotic_ctx *ctx, const char *module,
			     const char *name, char *buf, size_t size)
{
	char path[256];
	ssize_t n;
	int fd, ret = param_path(path, sizeof(path), module, name);

	if (ret)
		return ret;
	if (!buf || size < 2)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = exotic_neg_errno();
		exotic_dbg(ctx, "%s: %s\n", path, strerror(-ret));
		return ret;
	}
	n = read(fd, buf, size - 1);
	ret = n < 0 ? exotic_neg_errno() : 0;
	close(fd);
	if (ret)
		return ret;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}
