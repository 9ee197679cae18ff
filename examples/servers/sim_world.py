"""One simulated robot work cell shared by ros-mcp-server, isaac-sim and Resources.

The three example servers are separate processes; they share the world through
JSON files in ``$ROBOT_SIM_DIR`` (default ``<tempdir>/orch-robot-sim-<uid>``):

* ``world.json``      robot, objects, saved scene states, event counters
* ``resources.json``  the Resources server's assembly records
* ``*.lock``          fcntl (flock) locks; every change is read-modify-write
                      under an exclusive lock and lands by atomic rename

Nothing here is random: the same calls in the same order give the same world.
Time is a simulated clock (``sim_time``, seconds) advanced by each motion.
``ROBOT_SIM_LATENCY_MS`` (default 0) adds a fixed delay to every tool call.

Frames and units: metres, world frame at the table top (z = 0), robot base at
the origin. The gripper is a parallel gripper that opens to 0.085 m.

Grasp truth table (what really happens; the servers never reveal it directly)
-----------------------------------------------------------------------------
Each object has grasp ids 0..N-1. A grasp is one of these kinds:

  pinch     good. Approach with the gripper OPEN; ``control_gripper("close")``
            at the grasp pose holds the object.
  bore      good. Approach with the gripper CLOSED: the closed fingers enter
            the gear's bore and hold it by friction as soon as
            ``move_to_grasp(move_to_object=True)`` arrives (no close needed).
  slip      bad. Reachable with the gripper open, but the object slips out
            when the gripper closes (the object is nudged a little).
  collide   bad. The approach path hits the table or a neighbour; the move
            stops short (``success: False``) and nudges the object.
  too_wide  bad. The object is wider than the gripper opening at this grasp;
            the move stops short (``success: False``).
  fixed     bad. The object is bolted to the table: fingers close on it but
            it does not come along.

Approaching a pinch/slip/too_wide/fixed grasp with the gripper CLOSED, or a
bore grasp with the gripper OPEN, fails the move (``success: False``, fingers
hit the object, object nudged).

  object    kind      grasp ids: kind (good ones marked *)
  --------  --------  --------------------------------------------------------
  block_1   block     0 pinch*, 1 pinch*, 2 collide, 3 slip
  gear      gear      0 slip, 1 too_wide, 2 pinch*, 3 bore*, 4 collide
  base      fixture   0 fixed, 1 fixed
  object_0  cylinder  0 pinch*, 1 pinch*, 2 slip, 3 collide
  object_1  box       0 slip, 1 pinch*, 2 pinch*, 3 too_wide
  object_2  sphere    0 pinch*, 1 slip, 2 slip, 3 collide
  object_3  mug       0 too_wide, 1 slip, 2 pinch*, 3 pinch*
  object_4  bolt      0 pinch*, 1 collide, 2 slip, 3 pinch*

So for the seed README's examples (fresh world, gripper open):
  * simple grasp: block_1 grasp 0, open -> close -> SUCCESS.
  * error recovery on gear: grasp 0 slips, 1 is too wide, 2 succeeds
    (restore_scene_state between attempts puts the gear and gripper back).
  * assembly "3" in Resources lists gear grasp 3 with gripper "close" first,
    then grasp 2 with "open"; grasp 3 succeeds with no close at all.

Other rules: the robot cannot start a grasp while holding another object
(``success: False``); ``control_gripper("open")`` releases what it holds (the
object drops to the table under the gripper); ``place_object`` onto ``base``
assembles ``gear`` and ``block_1`` into it; ``stop()`` halts motion and is
counted (``stop_count``), and the next motion command clears the stop.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import tempfile
import threading
import time

try:
    import fcntl
except ImportError:  # not POSIX: no cross-process locking (single server use only)
    fcntl = None

WORLD_VERSION = 1
GRIPPER_MAX_OPENING_M = 0.085
SAFE_HEIGHT_M = 0.30
APPROACH_OFFSET_M = 0.10
HOME_TCP = [0.30, 0.0, 0.45]
ARM_SPEED_M_S = 0.25
SETTLE_S = 0.2
MAX_SCENE_STATES = 100
MAX_LIN_SPEED = 1.0
MAX_ANG_SPEED = 2.0

GOOD_KINDS = ("pinch", "bore")
# kind -> the gripper state the approach needs
PRE_STATE = {"pinch": "open", "slip": "open", "too_wide": "open", "fixed": "open", "collide": "open", "bore": "closed"}

# name: (kind, size [x, y, z] in m, centre position on the table, grasps)
# grasps: id -> (kind, human description)
OBJECTS = {
    "block_1": (
        "block",
        [0.05, 0.05, 0.05],
        [0.45, -0.10, 0.025],
        {
            0: ("pinch", "top-down pinch across the X faces"),
            1: ("pinch", "top-down pinch across the Y faces"),
            2: ("collide", "side pinch at table height (finger hits the table)"),
            3: ("slip", "diagonal pinch on two corners"),
        },
    ),
    "gear": (
        "gear",
        [0.08, 0.08, 0.024],
        [0.55, 0.15, 0.012],
        {
            0: ("slip", "side pinch on the teeth"),
            1: ("too_wide", "pinch across the full rim (0.08 m + finger pads)"),
            2: ("pinch", "top-down pinch across the hub"),
            3: ("bore", "inside grasp: closed fingers into the 0.02 m bore"),
            4: ("collide", "tilted approach from the base side"),
        },
    ),
    "base": (
        "fixture",
        [0.20, 0.20, 0.02],
        [0.65, 0.0, 0.01],
        {
            0: ("fixed", "pinch on the front edge"),
            1: ("fixed", "pinch on the peg"),
        },
    ),
    "object_0": (
        "cylinder",
        [0.05, 0.05, 0.08],
        [0.35, 0.25, 0.04],
        {
            0: ("pinch", "top-down pinch across the diameter"),
            1: ("pinch", "side pinch at mid height"),
            2: ("slip", "pinch on the rounded top edge"),
            3: ("collide", "low side approach (hits object_1)"),
        },
    ),
    "object_1": (
        "box",
        [0.06, 0.09, 0.06],
        [0.42, 0.33, 0.03],
        {
            0: ("slip", "pinch on the chamfered corner"),
            1: ("pinch", "top-down pinch across the short side"),
            2: ("pinch", "side pinch across the short side"),
            3: ("too_wide", "pinch across the long side (0.09 m)"),
        },
    ),
    "object_2": (
        "sphere",
        [0.05, 0.05, 0.05],
        [0.30, -0.25, 0.025],
        {
            0: ("pinch", "equatorial pinch"),
            1: ("slip", "pinch above the equator"),
            2: ("slip", "pinch below the equator"),
            3: ("collide", "approach from below the table plane"),
        },
    ),
    "object_3": (
        "mug",
        [0.09, 0.12, 0.09],
        [0.50, -0.32, 0.045],
        {
            0: ("too_wide", "pinch across the body"),
            1: ("slip", "pinch on the smooth glazed rim"),
            2: ("pinch", "pinch on the handle"),
            3: ("pinch", "pinch on the rim wall"),
        },
    ),
    "object_4": (
        "bolt",
        [0.015, 0.015, 0.03],
        [0.25, 0.10, 0.015],
        {
            0: ("pinch", "pinch on the hex head"),
            1: ("collide", "side approach at table height"),
            2: ("slip", "pinch on the threads"),
            3: ("pinch", "top-down pinch on the shank"),
        },
    ),
}

# target object -> objects it accepts as an assembly (placed = assembled into it)
ACCEPTS = {"base": ("gear", "block_1")}
LOCATIONS = {"table": [0.50, 0.0], "bin": [0.20, -0.45], "tray": [0.40, 0.45]}
FIXED_OBJECTS = ("base",)


def grasp_outcome(object_name: str, grasp_id: int) -> str:
    """'SUCCESS' when the grasp, done with its proper gripper pre-state, holds the object."""
    return "SUCCESS" if OBJECTS[object_name][3][grasp_id][0] in GOOD_KINDS else "FAILURE"


def gripper_prestate(object_name: str, grasp_id: int) -> str:
    """The gripper state ('open' / 'close') a grasp must be approached with."""
    return "close" if PRE_STATE[OBJECTS[object_name][3][grasp_id][0]] == "closed" else "open"


# --------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------


def sim_dir() -> str:
    d = os.environ.get("ROBOT_SIM_DIR")
    if not d:
        uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
        d = os.path.join(tempfile.gettempdir(), "orch-robot-sim-%s" % uid)
    os.makedirs(d, mode=0o700, exist_ok=True)
    return d


def simulate_latency() -> None:
    """Sleeps ROBOT_SIM_LATENCY_MS milliseconds (a fixed, deterministic delay)."""
    raw = os.environ.get("ROBOT_SIM_LATENCY_MS", "")
    if raw:
        try:
            ms = float(raw)
        except ValueError:
            return
        if ms > 0:
            time.sleep(ms / 1000.0)


class StoreError(RuntimeError):
    pass


@contextlib.contextmanager
def transaction(name: str, initial, write: bool = True):
    """Yields the document stored in <sim dir>/<name>.json under a lock.

    With write=True the (possibly changed) document is saved atomically when
    the block ends without an exception; an exception leaves the file as it was.
    """
    directory = sim_dir()
    path = os.path.join(directory, name + ".json")
    with open(os.path.join(directory, name + ".lock"), "a+") as lock:
        if fcntl is not None:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX if write else fcntl.LOCK_SH)
        try:
            doc = _load(path, initial)
            yield doc
            if write:
                _atomic_write(path, doc)
        finally:
            if fcntl is not None:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _load(path: str, initial):
    try:
        with open(path, "r", encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        return initial()
    except ValueError as e:
        raise StoreError("%s is corrupt (%s); delete it or call isaac-sim reset_scene" % (path, e))
    if not isinstance(doc, dict) or doc.get("version") != WORLD_VERSION:
        return initial()  # written by another version of these servers: start over
    return doc


def _atomic_write(path: str, doc) -> None:
    tmp = "%s.%d.%d.tmp" % (path, os.getpid(), threading.get_ident())
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, separators=(",", ":"), sort_keys=True)
    os.replace(tmp, path)


# --------------------------------------------------------------------------
# World document
# --------------------------------------------------------------------------


def initial_scene() -> dict:
    """The objects and robot as they are after reset_scene."""
    objects = {}
    for name, (kind, size, position, grasps) in OBJECTS.items():
        objects[name] = {
            "kind": kind,
            "position": list(position),
            "orientation": [0.0, 0.0, 0.0, 1.0],
            "attached_to": None,
            "fixed": name in FIXED_OBJECTS,
        }
    robot = {
        "arm": {"pose": "home", "tcp": list(HOME_TCP), "target": None},
        "gripper": {"state": "open", "width_m": GRIPPER_MAX_OPENING_M},
        "holding": None,
        "grasp": None,
        "base": {"x": 0.0, "y": 0.0, "yaw": 0.0},
        "motion_state": "idle",
        "last_failure": None,
    }
    return {"robot": robot, "objects": objects}


def initial_world() -> dict:
    world = {"version": WORLD_VERSION, "sim_time": 0.0, "next_scene": 1, "scene_states": [], "events": {}}
    world.update(initial_scene())
    world["events"] = {"stop_count": 0, "last_stop": None, "commands": 0}
    return world


def world_transaction(write: bool = True):
    return transaction("world", initial_world, write)


def _r(x: float) -> float:
    return round(x + 0.0, 4)


def _vec(v):
    return [_r(x) for x in v]


def _distance(a, b) -> float:
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))


class World:
    """Operations on one loaded world document (call inside world_transaction)."""

    def __init__(self, doc: dict):
        self.doc = doc
        self.robot = doc["robot"]
        self.objects = doc["objects"]

    # -- helpers -------------------------------------------------------------

    def command(self, name: str) -> None:
        self.doc["events"]["commands"] = self.doc["events"].get("commands", 0) + 1
        self.robot["last_command"] = name

    def advance(self, seconds: float) -> None:
        self.doc["sim_time"] = round(self.doc["sim_time"] + seconds, 3)

    def move_tcp(self, target, pose: str, target_info=None) -> float:
        """Moves the tool centre point; a held object comes along. Returns the motion time."""
        arm = self.robot["arm"]
        t = _distance(arm["tcp"], target) / ARM_SPEED_M_S + SETTLE_S
        arm["tcp"] = _vec(target)
        arm["pose"] = pose
        arm["target"] = target_info
        self.robot["motion_state"] = "idle"
        held = self.robot["holding"]
        if held:
            self.objects[held]["position"] = _vec(target)
        self.advance(t)
        return round(t, 3)

    def nudge(self, name: str, grasp_id: int) -> list:
        """A failed contact pushes the object a little, the same way every time."""
        obj = self.objects[name]
        if obj["fixed"] or obj["attached_to"] is not None:  # bolted down, held or seated in an assembly
            return obj["position"]
        pos = self.objects[name]["position"]
        pos[0] = _r(pos[0] + 0.012)
        pos[1] = _r(pos[1] - 0.004 * (grasp_id + 1))
        return pos

    def grasp_point(self, name: str):
        return list(self.objects[name]["position"])

    def check_object(self, name: str) -> None:
        if name not in self.objects:
            raise ValueError(
                "unknown object_name %r; known objects: %s" % (name, ", ".join(sorted(self.objects)))
            )

    def check_grasp(self, name: str, grasp_id: int) -> tuple:
        grasps = OBJECTS[name][3]
        if grasp_id not in grasps:
            raise ValueError(
                "grasp_id %d is not defined for %r; valid grasp ids: 0..%d" % (grasp_id, name, len(grasps) - 1)
            )
        return grasps[grasp_id]

    def fail(self, reason: str, **extra) -> dict:
        self.robot["last_failure"] = reason
        out = {"success": False, "error": reason}
        out.update(extra)
        out["robot"] = self.summary()
        return out

    def summary(self) -> dict:
        r = self.robot
        return {
            "pose": r["arm"]["pose"],
            "tcp": r["arm"]["tcp"],
            "gripper": r["gripper"]["state"],
            "holding": r["holding"],
        }

    def object_view(self, name: str) -> dict:
        o = self.objects[name]
        return {
            "object_name": name,
            "kind": o["kind"],
            "position": o["position"],
            "orientation": o["orientation"],
            "frame": "world",
            "attached_to": o["attached_to"],
            "held": self.robot["holding"] == name,
            "fixed": o["fixed"],
        }

    # -- arm -----------------------------------------------------------------

    def move_home(self) -> dict:
        self.command("move_home")
        t = self.move_tcp(HOME_TCP, "home")
        return {"success": True, "pose": "home", "tcp": self.robot["arm"]["tcp"], "duration_s": t,
                "holding": self.robot["holding"]}

    def move_to_grasp(self, name: str, grasp_id: int, move_to_object: bool, move_to_safe_height: bool) -> dict:
        tool = "move_to_grasp"
        self.check_object(name)
        kind, label = self.check_grasp(name, grasp_id)
        self.command(tool)
        robot = self.robot
        held = robot["holding"]
        target = {"object_name": name, "grasp_id": grasp_id}
        if held and held != name:
            return self.fail(
                "gripper is holding %r; place it or open the gripper before grasping %r" % (held, name),
                object_name=name, grasp_id=grasp_id,
            )
        point = self.grasp_point(name)
        steps = []
        total = 0.0
        if held == name:
            steps.append("already holding %r" % name)
        elif move_to_object:
            approach = [point[0], point[1], point[2] + APPROACH_OFFSET_M]
            total += self.move_tcp(approach, "pre_grasp", target)
            steps.append("approach above %r" % name)
            state = robot["gripper"]["state"]
            need = PRE_STATE[kind]
            if state != need:
                self.nudge(name, grasp_id)
                if need == "closed":
                    why = "open fingers cannot enter the bore of %r (grasp %d needs the gripper closed)" % (
                        name, grasp_id)
                else:
                    why = "closed fingers hit %r on the way down (grasp %d needs the gripper open)" % (name, grasp_id)
                return self.fail(why, object_name=name, grasp_id=grasp_id, steps=steps)
            if kind == "collide":
                self.nudge(name, grasp_id)
                return self.fail("collision during approach for grasp %d of %r: %s" % (grasp_id, name, label),
                                 object_name=name, grasp_id=grasp_id, steps=steps)
            if kind == "too_wide":
                return self.fail("%r is wider than the gripper opening (%.3f m) at grasp %d: %s"
                                 % (name, GRIPPER_MAX_OPENING_M, grasp_id, label),
                                 object_name=name, grasp_id=grasp_id, steps=steps)
            total += self.move_tcp(point, "grasp", target)
            steps.append("descend to grasp %d (%s)" % (grasp_id, label))
            if kind == "bore":
                self.attach(name, grasp_id)
                steps.append("fingers seated in the bore: %r is held" % name)
        elif not move_to_safe_height:
            total += self.move_tcp([point[0], point[1], point[2] + APPROACH_OFFSET_M], "pre_grasp", target)
            steps.append("move to pre-grasp above %r" % name)
        if move_to_safe_height:
            tcp = robot["arm"]["tcp"]
            at_object = robot["arm"]["target"] == target
            xy = tcp[:2] if at_object or held == name else point[:2]
            total += self.move_tcp([xy[0], xy[1], SAFE_HEIGHT_M], "safe_height", target)
            steps.append("lift to safe height %.2f m" % SAFE_HEIGHT_M)
        return {
            "success": True,
            "object_name": name,
            "grasp_id": grasp_id,
            "pose": robot["arm"]["pose"],
            "tcp": robot["arm"]["tcp"],
            "holding": robot["holding"],
            "steps": steps,
            "duration_s": round(total, 3),
        }

    def attach(self, name: str, grasp_id: int) -> None:
        self.robot["holding"] = name
        self.robot["grasp"] = {"object_name": name, "grasp_id": grasp_id}
        self.objects[name]["attached_to"] = "gripper"
        self.objects[name]["position"] = list(self.robot["arm"]["tcp"])

    def release(self) -> str:
        """Drops the held object onto the table under the gripper."""
        name = self.robot["holding"]
        tcp = self.robot["arm"]["tcp"]
        half = OBJECTS[name][1][2] / 2.0
        self.objects[name]["position"] = _vec([tcp[0], tcp[1], half])
        self.objects[name]["attached_to"] = None
        self.robot["holding"] = None
        self.robot["grasp"] = None
        return name

    def control_gripper(self, state: str) -> dict:
        self.command("control_gripper")
        robot = self.robot
        gripper = robot["gripper"]
        notes = []
        self.advance(0.5)
        if state == "open":
            if robot["holding"]:
                dropped = self.release()
                notes.append("released %r" % dropped)
            gripper["state"] = "open"
            gripper["width_m"] = GRIPPER_MAX_OPENING_M
            return {"success": True, "state": "open", "width_m": gripper["width_m"], "holding": None, "notes": notes}
        # close
        if gripper["state"] == "closed":
            notes.append("already closed")
            return {"success": True, "state": "closed", "width_m": gripper["width_m"], "holding": robot["holding"],
                    "contact": robot["holding"] is not None, "notes": notes}
        gripper["state"] = "closed"
        gripper["width_m"] = 0.0
        arm = robot["arm"]
        target = arm["target"]
        contact = False
        if arm["pose"] == "grasp" and target and not robot["holding"]:
            name, gid = target["object_name"], target["grasp_id"]
            kind, label = OBJECTS[name][3][gid]
            size = OBJECTS[name][1]
            if kind == "pinch":
                self.attach(name, gid)
                gripper["width_m"] = _r(min(size[0], size[1]))
                contact = True
                notes.append("holding %r with grasp %d (%s)" % (name, gid, label))
            elif kind == "slip":
                self.nudge(name, gid)
                contact = True
                robot["last_failure"] = "%r slipped out of the fingers (grasp %d: %s)" % (name, gid, label)
                notes.append(robot["last_failure"])
            elif kind == "fixed":
                contact = True
                robot["last_failure"] = "%r is bolted to the table; the fingers close on it but it stays" % name
                notes.append(robot["last_failure"])
        return {"success": True, "state": "closed", "width_m": gripper["width_m"], "holding": robot["holding"],
                "contact": contact, "notes": notes}

    def verify_grasp(self, name: str) -> dict:
        self.check_object(name)
        robot = self.robot
        held = robot["holding"]
        ok = held == name
        out = {
            "result": "SUCCESS" if ok else "FAILURE",
            "object_name": name,
            "holding": held,
            "gripper_state": robot["gripper"]["state"],
            "gripper_width_m": robot["gripper"]["width_m"],
        }
        if ok:
            out["grasp_id"] = robot["grasp"]["grasp_id"] if robot["grasp"] else None
            out["lifted"] = robot["arm"]["tcp"][2] > OBJECTS[name][2][2] + 0.05
        elif held:
            out["reason"] = "the gripper holds %r, not %r" % (held, name)
        else:
            out["reason"] = robot.get("last_failure") or "the gripper is empty"
        return out

    def place_object(self, name: str, target: str) -> dict:
        tool = "place_object"
        self.check_object(name)
        if target not in self.objects and target not in LOCATIONS:
            raise ValueError(
                "unknown target %r; targets are objects (%s) or locations (%s)"
                % (target, ", ".join(sorted(self.objects)), ", ".join(sorted(LOCATIONS)))
            )
        if target == name:
            raise ValueError("cannot place %r onto itself" % name)
        self.command(tool)
        robot = self.robot
        if robot["holding"] != name:
            held = robot["holding"]
            return self.fail("not holding %r (the gripper holds %s)" % (name, repr(held) if held else "nothing"),
                             object_name=name, target=target)
        half = OBJECTS[name][1][2] / 2.0
        assembled = False
        if target in self.objects:
            t = self.objects[target]
            top = t["position"][2] + OBJECTS[target][1][2] / 2.0
            spot = [t["position"][0], t["position"][1], top + half]
            assembled = name in ACCEPTS.get(target, ())
        else:
            xy = LOCATIONS[target]
            spot = [xy[0], xy[1], half]
        t_move = self.move_tcp([spot[0], spot[1], spot[2] + APPROACH_OFFSET_M], "place")
        t_move += self.move_tcp(spot, "place")
        self.release()
        obj = self.objects[name]
        obj["position"] = _vec(spot)
        obj["attached_to"] = target if assembled else None
        robot["gripper"]["state"] = "open"
        robot["gripper"]["width_m"] = GRIPPER_MAX_OPENING_M
        t_move += self.move_tcp([spot[0], spot[1], spot[2] + APPROACH_OFFSET_M], "place")
        return {"success": True, "object_name": name, "target": target, "assembled": assembled,
                "position": obj["position"], "duration_s": round(t_move, 3)}

    def stop(self, reason: str) -> dict:
        events = self.doc["events"]
        events["stop_count"] = events.get("stop_count", 0) + 1
        events["last_stop"] = {"reason": reason or "stop requested", "sim_time": self.doc["sim_time"]}
        self.robot["motion_state"] = "stopped"
        self.robot["last_command"] = "stop"
        return {"success": True, "stopped": True, "stop_count": events["stop_count"],
                "reason": events["last_stop"]["reason"], "holding": self.robot["holding"]}

    def pub_twist(self, linear, angular, duration: float) -> dict:
        tool = "pub_twist"
        for arg, vec in (("linear", linear), ("angular", angular)):
            if len(vec) != 3:
                raise ValueError("%s must have 3 components [x, y, z], got %d" % (arg, len(vec)))
            if not all(math.isfinite(v) for v in vec):
                raise ValueError("%s must contain finite numbers" % arg)
        speed = math.hypot(linear[0], linear[1])
        if speed > MAX_LIN_SPEED:
            raise ValueError("linear speed %.3f m/s exceeds the limit of %.1f m/s" % (speed, MAX_LIN_SPEED))
        if abs(angular[2]) > MAX_ANG_SPEED:
            raise ValueError("angular z %.3f rad/s exceeds the limit of %.1f rad/s"
                             % (angular[2], MAX_ANG_SPEED))
        if not (0.0 <= duration <= 60.0) or not math.isfinite(duration):
            raise ValueError("duration must be between 0 and 60 s, got %r" % duration)
        self.command(tool)
        # duration 0 publishes one message; the base watchdog stops after 0.1 s.
        t = duration if duration > 0 else 0.1
        base = self.robot["base"]
        steps = max(1, int(round(t / 0.01)))
        dt = t / steps
        x, y, yaw = base["x"], base["y"], base["yaw"]
        for _ in range(steps):
            x += (linear[0] * math.cos(yaw) - linear[1] * math.sin(yaw)) * dt
            y += (linear[0] * math.sin(yaw) + linear[1] * math.cos(yaw)) * dt
            yaw += angular[2] * dt
        yaw = math.atan2(math.sin(yaw), math.cos(yaw))
        base.update({"x": _r(x), "y": _r(y), "yaw": _r(yaw)})
        self.robot["motion_state"] = "idle"
        self.advance(t)
        return {"success": True, "topic": "/cmd_vel", "published_for_s": round(t, 3), "linear": list(linear),
                "angular": list(angular), "base_pose": dict(base)}

    def robot_state(self) -> dict:
        r = self.robot
        events = self.doc["events"]
        return {
            "mode": "sim",
            "arm": r["arm"],
            "gripper": r["gripper"],
            "holding": r["holding"],
            "grasp": r["grasp"],
            "mobile_base": r["base"],
            "motion_state": r["motion_state"],
            "last_command": r.get("last_command"),
            "last_failure": r["last_failure"],
            "stop_count": events.get("stop_count", 0),
            "last_stop": events.get("last_stop"),
            "sim_time": self.doc["sim_time"],
        }

    def list_objects(self) -> dict:
        objs = []
        for name in sorted(self.objects):
            view = self.object_view(name)
            view["size_m"] = OBJECTS[name][1]
            view["grasp_ids"] = sorted(OBJECTS[name][3])
            objs.append(view)
        return {"objects": objs, "count": len(objs), "locations": sorted(LOCATIONS)}

    # -- scene states ----------------------------------------------------------

    def save_scene(self, label: str) -> str:
        doc = self.doc
        scene_id = "scene_%04d" % doc["next_scene"]
        doc["next_scene"] += 1
        doc["scene_states"].append({
            "scene_id": scene_id,
            "label": label,
            "sim_time": doc["sim_time"],
            "robot": copy.deepcopy(doc["robot"]),
            "objects": copy.deepcopy(doc["objects"]),
        })
        del doc["scene_states"][:-MAX_SCENE_STATES]
        return scene_id

    def restore_scene(self, scene_id: str) -> dict:
        states = self.doc["scene_states"]
        if not states:
            raise ValueError("no saved scene states; call save_scene_state first")
        if scene_id:
            found = [s for s in states if s["scene_id"] == scene_id]
            if not found:
                raise ValueError(
                    "unknown scene_id %r; saved: %s"
                    % (scene_id, ", ".join(s["scene_id"] for s in states[-10:]))
                )
            snap = found[0]
        else:
            snap = states[-1]
        self.doc["robot"] = copy.deepcopy(snap["robot"])
        self.doc["objects"] = copy.deepcopy(snap["objects"])
        self.robot = self.doc["robot"]
        self.objects = self.doc["objects"]
        self.command("restore_scene_state")
        return {"success": True, "scene_id": snap["scene_id"], "label": snap["label"], "robot": self.summary(),
                "objects_restored": len(self.objects)}

    def reset(self) -> dict:
        self.doc.update(initial_scene())
        self.robot = self.doc["robot"]
        self.objects = self.doc["objects"]
        return {"success": True, "objects": sorted(self.objects), "robot": self.summary(),
                "scene_states_kept": len(self.doc["scene_states"])}

    def scene_list(self) -> dict:
        states = self.doc["scene_states"]
        return {
            "scene_states": [
                {"scene_id": s["scene_id"], "label": s["label"], "sim_time": s["sim_time"],
                 "holding": s["robot"]["holding"], "gripper": s["robot"]["gripper"]["state"]}
                for s in states
            ],
            "count": len(states),
            "latest": states[-1]["scene_id"] if states else None,
        }


@contextlib.contextmanager
def world(write: bool = True):
    """Latency, then the world under its lock: ``with world() as w: w.move_home()``."""
    simulate_latency()
    with world_transaction(write) as doc:
        yield World(doc)


# --------------------------------------------------------------------------
# Resources: assembly records, seeded from the truth table
# --------------------------------------------------------------------------

# assembly id -> (name, [(sequence_id, object_name, assembled_into, [(grasp_id, gripper_state), ...])])
_SEED_ASSEMBLIES = {
    "1": ("block on base", [(1, "block_1", "base", [(2, "open"), (0, "open"), (1, "open")])]),
    "2": ("pick and sort", [
        (1, "object_0", "bin", [(0, "open")]),
        (2, "object_1", "bin", [(0, "open"), (1, "open")]),
        (3, "object_3", "tray", [(0, "open"), (3, "open")]),
    ]),
    "3": ("gear onto base", [(1, "gear", "base", [(0, "open"), (3, "close"), (1, "open"), (2, "open")])]),
}

_TRIAL_TOOLS = {
    "open": ["control_gripper", "move_to_grasp", "control_gripper", "move_to_grasp", "verify_grasp"],
    "close": ["control_gripper", "move_to_grasp", "verify_grasp"],
}


def _trial_result(object_name: str, grasp_id: int, gripper_state: str) -> str:
    ok = grasp_outcome(object_name, grasp_id) == "SUCCESS" and gripper_prestate(object_name, grasp_id) == gripper_state
    return "SUCCESS" if ok else "FAILURE"


def initial_resources() -> dict:
    assemblies = {}
    for aid, (label, steps) in _SEED_ASSEMBLIES.items():
        seq = []
        trial_id = 0
        for sequence_id, obj, into, trials in steps:
            recorded = []
            for gid, gstate in trials:
                trial_id += 1
                recorded.append({
                    "trial_id": trial_id,
                    "grasp_id": gid,
                    "gripper_state": gstate,
                    "tools": _TRIAL_TOOLS[gstate],
                    "result": _trial_result(obj, gid, gstate),
                })
            seq.append({"sequence_id": sequence_id, "object_name": obj, "assembled_into": into,
                        "tools_trials": recorded})
        assemblies[aid] = {"assembly_id": aid, "name": label, "sequence": seq, "revision": 1}
    return {"version": WORLD_VERSION, "assemblies": assemblies}


def resources(write: bool = True):
    simulate_latency()
    return transaction("resources", initial_resources, write)
