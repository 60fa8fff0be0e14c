"""Runs INSIDE the student's kernel. Sent there as source text; imports nothing from `graders`.

It answers the grader's requests: call a function or method with the inputs the grader sent,
read or set attributes, and send values back as data (.npy with allow_pickle=False, or JSON).
It never receives reference code, expected values or scores: it only runs what it is asked to.
"""

import base64
import io
import json
import sys
import time
import traceback

MIMETYPE = "application/vnd.nngrader.reply"
_MAX_REPR = 300


def make_wire(user_ns, shell):
    import numpy as np

    handles = {}

    def decode(value):
        if isinstance(value, list):
            return [decode(v) for v in value]
        if isinstance(value, dict):
            if "$nd" in value:
                return np.load(io.BytesIO(base64.b64decode(value["$nd"])), allow_pickle=False)
            if "$ref" in value:
                return resolve(value["$ref"])
            if "$dict" in value:
                return {k: decode(v) for k, v in value["$dict"].items()}
            if "$tuple" in value:
                return tuple(decode(v) for v in value["$tuple"])
            return {k: decode(v) for k, v in value.items()}
        return value

    def encode(value, depth=0):
        if depth > 6:
            return {"$object": type(value).__name__, "repr": "(nested too deeply)"}
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float)) and type(value) in (int, float):
            return value
        if type(value).__module__ == "torch" and hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        if isinstance(value, np.generic) and type(value).__module__ == "numpy":
            value = np.asarray(value)
        if type(value) is np.ndarray:
            if value.dtype.kind not in "biufc":
                return {"$object": "ndarray", "dtype": str(value.dtype), "repr": _short(value)}
            buffer = io.BytesIO()
            np.save(buffer, value.copy(order="C"), allow_pickle=False)  # keeps 0-d arrays 0-d
            return {"$nd": base64.b64encode(buffer.getvalue()).decode("ascii")}
        if type(value) in (list, tuple):
            items = [encode(v, depth + 1) for v in value]
            return items if type(value) is list else {"$tuple": items}
        if type(value) is dict and all(type(k) is str for k in value):
            return {"$dict": {k: encode(v, depth + 1) for k, v in value.items()}}
        return {"$object": type(value).__name__, "repr": _short(value)}

    def resolve(path):
        if "|" in path:  # the first of several alternatives the kernel defines
            *firsts, last = path.split("|")
            for alternative in firsts:
                try:
                    return resolve(alternative)
                except (_Missing, LookupError):
                    continue
            return resolve(last)
        head, _, rest = path.partition(".")
        if head.startswith("$"):
            if head[1:] not in handles:
                raise LookupError(f"no stored value {head[1:]!r}")
            obj = handles[head[1:]]
        elif head in user_ns:
            obj = user_ns[head]
        else:
            raise _Missing(head)
        for attr in filter(None, rest.split(".")):
            if not hasattr(obj, attr):
                raise _Missing(f"{path.split('.')[0]}.{attr}" if head.startswith("$") else path)
            obj = getattr(obj, attr)
        return obj

    def assign(path, value):
        owner, _, attr = path.rpartition(".")
        setattr(resolve(owner), attr, value)

    def do(op):
        kind = op["op"]
        if kind == "call":
            result = resolve(op["target"])(*decode(op.get("args", [])),
                                           **decode(op.get("kwargs", {})))
            if op.get("store"):
                handles[op["store"]] = result
            return encode(result) if op.get("return", True) else None
        if kind == "get":
            return encode(resolve(op["target"]))
        if kind == "set":
            assign(op["target"], decode(op["value"]))
            return None
        if kind == "describe":
            return {name: describe(name) for name in op["names"]}
        if kind == "sweep":
            return sweep(op)
        if kind == "global":
            user_ns[op["name"]] = decode(op["value"])
            return None
        if kind == "put":
            handles[op["store"]] = decode(op["value"])
            return None
        if kind == "define":
            namespace = {"np": np, "__name__": "nngrader_helpers"}
            exec(compile(op["source"], "<nngrader>", "exec"), namespace)
            for name in op["names"]:
                handles[name] = namespace[name]
            return None
        if kind == "module":
            return describe_module(resolve(op["target"]))
        if kind == "torch_modules":
            return torch_modules()
        if kind == "instances":
            wanted = set(op["types"])
            return {name: type(value).__name__ for name, value in list(user_ns.items())
                    if not name.startswith("_") and type(value).__name__ in wanted}
        raise ValueError(f"unknown op {kind!r}")

    def torch_modules():
        """The notebook's own torch.nn.Module classes and every torch.nn.Module instance it
        holds (an nn.Sequential too): {name: 'class' or 'instance'} (nothing when the notebook
        never imported torch)."""
        torch = sys.modules.get("torch")
        if torch is None:
            return {}
        base = torch.nn.Module
        found = {}
        for name, value in list(user_ns.items()):
            if name.startswith("_"):
                continue
            if isinstance(value, type) and issubclass(value, base):
                if value.__module__ == "__main__":
                    found[name] = "class"
            elif isinstance(value, base):
                found[name] = "instance"
        return found

    def describe(name):
        try:
            obj = resolve(name)
        except Exception:
            return "missing"
        if isinstance(obj, type):
            return "class"
        return "callable" if callable(obj) else "value"

    def sweep(op):
        """For each delta: set param = base + delta, call the method, collect an attribute."""
        obj = resolve(op["target"])
        base = np.array(getattr(obj, op["param"]), dtype=np.float64, copy=True)
        method = op["call"]
        args = decode(op.get("args", []))
        collected = []
        try:
            for delta in decode(op["deltas"]):
                setattr(obj, op["param"], base + delta)
                getattr(obj, method)(*args)
                collected.append(encode(_as_array(getattr(obj, op["collect"]))))
        finally:
            setattr(obj, op["param"], base)
        return collected

    def describe_module(module):
        """A torch.nn.Module as data: its layers, their sizes and parameter counts."""
        if not hasattr(module, "named_modules") or not hasattr(module, "parameters"):
            return {"$object": type(module).__name__, "repr": _short(module)}
        layers = []
        for name, layer in module.named_modules():
            if name == "" or any(True for _ in layer.children()):
                continue
            info = {"name": name, "type": type(layer).__name__,
                    "parameters": int(sum(p.numel() for p in layer.parameters(recurse=False)))}
            for attr in _LAYER_ATTRS:
                value = getattr(layer, attr, None)
                if isinstance(value, (int, float, bool, str)) or (
                        isinstance(value, tuple) and all(isinstance(v, int) for v in value)):
                    info[attr] = list(value) if isinstance(value, tuple) else value
            layers.append(info)
        return {"type": type(module).__name__, "layers": layers,
                "parameters": int(sum(p.numel() for p in module.parameters())),
                "trainable": int(sum(p.numel() for p in module.parameters() if p.requires_grad))}

    def _as_array(value):
        try:
            return np.array(value, dtype=np.float64)
        except Exception:
            return value

    def frames_of(exc):
        cell_numbers = getattr(getattr(shell, "compile", None), "_filename_map", {})
        frames = []
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == "<nngrader>":
                continue
            execution = cell_numbers.get(frame.filename)
            if execution is None and "site-packages" in frame.filename:
                continue
            frames.append({"execution": execution, "file": frame.filename,
                           "line": frame.lineno, "function": frame.name,
                           "text": (frame.line or "")[:200]})
        return frames[-8:]

    def run(request_b64):
        request = json.loads(base64.b64decode(request_b64))
        results = []
        reply = {"ok": True, "results": results}
        started = time.perf_counter()
        for index, op in enumerate(request["ops"]):
            try:
                results.append(do(op))
            except _Missing as exc:
                reply.update(ok=False, failed_op=index, missing=str(exc))
                break
            except BaseException as exc:  # noqa: B036 - SystemExit and KeyboardInterrupt are data
                reply.update(ok=False, failed_op=index, error={
                    "type": type(exc).__name__, "message": _short(exc, 500),
                    "frames": frames_of(exc)})
                break
        reply["seconds"] = time.perf_counter() - started
        _publish(json.dumps(reply))

    def _publish(text):
        from IPython.display import publish_display_data

        publish_display_data({MIMETYPE: text})

    return run


_LAYER_ATTRS = ("in_features", "out_features", "in_channels", "out_channels", "kernel_size",
                "stride", "padding", "num_embeddings", "embedding_dim", "input_size",
                "hidden_size", "num_layers", "batch_first", "bidirectional", "p", "negative_slope")


class _Missing(Exception):
    pass


def _short(value, limit=_MAX_REPR):
    try:
        text = repr(value) if not isinstance(value, BaseException) else str(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit] + "..."


__all__ = ["make_wire", "MIMETYPE", "sys"]
