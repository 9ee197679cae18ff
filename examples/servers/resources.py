"""Resources (simulated): assembly records and grasp trial history.

Stands in for the grasp/assembly resource server. Its seed records are
derived from the grasp truth table in sim_world.py, so what it calls a
SUCCESS really succeeds on ros-mcp-server (assembly "3", object "gear":
grasp 3 with the gripper "close", then grasp 2 with "open"). Records written
with write_assembly_resource are kept in $ROBOT_SIM_DIR/resources.json.

Run by hand:  python3 resources.py   (MCP over stdio)
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    from mcp.server.fastmcp import FastMCP  # real SDK when installed
except ImportError:
    from mcp_lite import FastMCP

import sim_world

mcp = FastMCP("Resources")

_RESULTS = ("SUCCESS", "FAILURE")
_GRIPPER_STATES = ("open", "close")


def _assembly(doc: dict, assembly_id: str) -> dict:
    found = doc["assemblies"].get(assembly_id)
    if found is None:
        known = ", ".join(repr(a) for a in sorted(doc["assemblies"])) or "none"
        raise ValueError("unknown assembly_id %r; known assemblies: %s" % (assembly_id, known))
    return found


def _result(label: str, value: str) -> str:
    upper = value.strip().upper()
    if upper not in _RESULTS:
        raise ValueError("%s must be 'SUCCESS' or 'FAILURE', got %r" % (label, value))
    return upper


@mcp.tool()
def get_object_grasp_configs_by_result(assembly_id: str, object_name: str, result: str) -> List[Dict[str, Any]]:
    """Grasp configurations tried for an object in an assembly, filtered by their result.

    Each distinct (grasp_id, gripper_state) pair appears once, in the order it
    was first tried.

    Args:
        assembly_id: Assembly id, e.g. "3".
        object_name: Object within the assembly, e.g. "gear".
        result: "SUCCESS" or "FAILURE" (case-insensitive).

    Returns:
        A list of {"grasp_id": int, "gripper_state": "open"|"close", "trial_id": int,
        "sequence_id": int, "tools": [...], "result": str}; empty when none match.
    """
    wanted = _result("result", result)
    with sim_world.resources(write=False) as doc:
        asm = _assembly(doc, assembly_id)
        configs = []
        seen = set()
        for step in asm["sequence"]:
            if step["object_name"] != object_name:
                continue
            for trial in step["tools_trials"]:
                if str(trial.get("result", "")).upper() != wanted:
                    continue
                key = (trial.get("grasp_id"), trial.get("gripper_state"))
                if key in seen or key[0] is None:
                    continue
                seen.add(key)
                configs.append({
                    "grasp_id": trial["grasp_id"],
                    "gripper_state": trial.get("gripper_state", "open"),
                    "trial_id": trial.get("trial_id"),
                    "sequence_id": step["sequence_id"],
                    "tools": trial.get("tools", []),
                    "result": wanted,
                })
        return configs


@mcp.tool()
def write_assembly_resource(
    assembly_id: str,
    object_name: str,
    sequence_id: int,
    assembled_into: str,
    tools_trials: List[Dict[str, Any]],
) -> dict:
    """Record the trials of one assembly step (creates the assembly if it is new).

    Trials are appended to the step with the same sequence_id and object.

    Args:
        assembly_id: Assembly id, e.g. "3".
        object_name: Object placed in this step, e.g. "gear".
        sequence_id: Position of the step in the assembly sequence (>= 1).
        assembled_into: What the object goes into, e.g. "base".
        tools_trials: Trials, each like {"trial_id": 1, "grasp_id": 3, "gripper_state": "close",
            "tools": ["move_to_grasp", "verify_grasp"], "result": "SUCCESS"}.

    Returns:
        {"success": True, "assembly_id", "object_name", "sequence_id", "trials_recorded": int,
        "total_trials": int, "uri": "assembly://<id>/<object>/<sequence_id>"}
    """
    if sequence_id < 1:
        raise ValueError("sequence_id must be >= 1, got %d" % sequence_id)
    if not assembly_id.strip():
        raise ValueError("assembly_id must not be empty")
    cleaned = []
    for i, trial in enumerate(tools_trials):
        where = "tools_trials[%d]" % i
        if "result" not in trial:
            raise ValueError("%s needs a 'result' ('SUCCESS' or 'FAILURE')" % where)
        t = dict(trial)
        t["result"] = _result(where + ".result", str(trial["result"]))
        gid = t.get("grasp_id")
        if gid is not None and (isinstance(gid, bool) or not isinstance(gid, int)):
            raise ValueError("%s.grasp_id must be an integer, got %r" % (where, gid))
        state = t.get("gripper_state")
        if state is not None:
            state = str(state).lower()
            state = "close" if state == "closed" else state
            if state not in _GRIPPER_STATES:
                raise ValueError("%s.gripper_state must be 'open' or 'close', got %r" % (where, trial["gripper_state"]))
            t["gripper_state"] = state
        if "tools" in t and not isinstance(t["tools"], list):
            raise ValueError("%s.tools must be a list of tool names" % where)
        cleaned.append(t)
    with sim_world.resources() as doc:
        asm = doc["assemblies"].setdefault(
            assembly_id,
            {"assembly_id": assembly_id, "name": "assembly %s" % assembly_id, "sequence": [], "revision": 0},
        )
        step = next(
            (s for s in asm["sequence"] if s["sequence_id"] == sequence_id and s["object_name"] == object_name), None
        )
        if step is None:
            step = {"sequence_id": sequence_id, "object_name": object_name, "assembled_into": assembled_into,
                    "tools_trials": []}
            asm["sequence"].append(step)
            asm["sequence"].sort(key=lambda s: (s["sequence_id"], s["object_name"]))
        step["assembled_into"] = assembled_into
        next_id = 1 + max([t.get("trial_id", 0) or 0 for s in asm["sequence"] for t in s["tools_trials"]] or [0])
        for t in cleaned:
            if not isinstance(t.get("trial_id"), int):
                t["trial_id"] = next_id
                next_id += 1
            step["tools_trials"].append(t)
        asm["revision"] = asm.get("revision", 0) + 1
        return {
            "success": True,
            "assembly_id": assembly_id,
            "object_name": object_name,
            "sequence_id": sequence_id,
            "assembled_into": assembled_into,
            "trials_recorded": len(cleaned),
            "total_trials": len(step["tools_trials"]),
            "revision": asm["revision"],
            "uri": "assembly://%s/%s/%d" % (assembly_id, object_name, sequence_id),
        }


@mcp.tool()
def get_assembly_resource(assembly_id: str) -> dict:
    """The full record of an assembly: its steps in sequence order with every trial.

    Args:
        assembly_id: Assembly id, e.g. "3".

    Returns:
        {"assembly_id", "name", "revision", "sequence": [{"sequence_id", "object_name", "assembled_into",
        "tools_trials": [...]}], "objects": [...], "total_trials": int}
    """
    with sim_world.resources(write=False) as doc:
        asm = _assembly(doc, assembly_id)
        out = dict(asm)
        out["objects"] = sorted({s["object_name"] for s in asm["sequence"]})
        out["total_trials"] = sum(len(s["tools_trials"]) for s in asm["sequence"])
        return out


@mcp.tool()
def list_assemblies() -> dict:
    """Ids and names of all known assemblies."""
    with sim_world.resources(write=False) as doc:
        items = [
            {"assembly_id": a["assembly_id"], "name": a["name"], "steps": len(a["sequence"])}
            for _, a in sorted(doc["assemblies"].items())
        ]
        return {"assemblies": items, "count": len(items)}


if __name__ == "__main__":
    mcp.run(os.environ.get("ROBOT_SIM_TRANSPORT", "stdio"))
