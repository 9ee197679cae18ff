"""ros-mcp-server (simulated): arm, gripper and mobile base of the shared work cell.

Stands in for a ROS 2 robot server. Every tool works on the world shared with
isaac_sim.py and resources.py (see sim_world.py for the grasp truth table).
Physical outcomes (a collision, a slip, nothing to place) come back as
``{"success": False, "error": ...}``; invalid requests (unknown object, bad
grasp id, ``mode="real"``) are tool errors.

Run by hand:  python3 ros_mcp_server.py   (MCP over stdio)
"""

from __future__ import annotations

import os
import sys
from typing import List, Literal, Optional

try:
    from typing_extensions import TypedDict  # the mcp SDK (pydantic) wants it before Python 3.12
except ImportError:
    from typing import TypedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    from mcp.server.fastmcp import FastMCP  # real SDK when installed
except ImportError:
    from mcp_lite import FastMCP

import sim_world

mcp = FastMCP("ros-mcp-server")

Mode = Literal["sim", "real"]


# Results whose shape is stable publish it as an outputSchema (FastMCP derives it from these TypedDicts), so the
# generated API types them. Physical failures come back as {"success": False, "error": ..., "robot": ...}: only
# "success" is always there.
class ArmSummary(TypedDict):
    pose: str
    tcp: List[float]
    gripper: str
    holding: Optional[str]


class MoveHomeResult(TypedDict, total=False):
    success: bool
    pose: str
    tcp: List[float]
    duration_s: float
    holding: Optional[str]
    error: str
    robot: ArmSummary


class GripperResult(TypedDict, total=False):
    success: bool
    state: Literal["open", "closed"]
    width_m: float
    holding: Optional[str]
    contact: bool
    notes: List[str]
    error: str
    robot: ArmSummary


class StopResult(TypedDict):
    success: bool
    stopped: bool
    stop_count: int
    reason: str
    holding: Optional[str]


class BasePose(TypedDict):
    x: float
    y: float
    yaw: float


class TwistResult(TypedDict):
    success: bool
    topic: str
    published_for_s: float
    linear: List[float]
    angular: List[float]
    base_pose: BasePose


class ObjectInfo(TypedDict):
    object_name: str
    kind: str
    position: List[float]
    orientation: List[float]
    frame: str
    attached_to: Optional[str]
    held: bool
    fixed: bool
    size_m: List[float]
    grasp_ids: List[int]


class ObjectList(TypedDict):
    objects: List[ObjectInfo]
    count: int
    locations: List[str]


def _require_sim(mode: str) -> None:
    if mode != "sim":
        raise ValueError(
            "mode=%r refused: no robot hardware is attached to this simulated server; use mode='sim'" % mode
        )


@mcp.tool()
def move_home(mode: Mode = "sim") -> MoveHomeResult:
    """Move the arm to its home pose (a held object comes along).

    Args:
        mode: "sim" to act in simulation; "real" is refused (no hardware attached).

    Returns:
        {"success": True, "pose": "home", "tcp": [x, y, z], "duration_s": ..., "holding": ...}
    """
    _require_sim(mode)
    with sim_world.world() as w:
        return w.move_home()


@mcp.tool()
def move_to_grasp(
    object_name: str,
    grasp_id: int,
    mode: Mode = "sim",
    move_to_object: bool = False,
    move_to_safe_height: bool = False,
) -> dict:
    """Move the arm to a grasp pose of an object.

    Without flags the arm goes to the pre-grasp pose 10 cm above the object.
    With move_to_object it approaches and descends to the grasp pose; with
    move_to_safe_height it lifts to 0.30 m (with whatever it holds). Both
    flags: descend, then lift.

    Args:
        object_name: Object to grasp, e.g. "block_1", "gear", "object_0".
        grasp_id: Index of the precomputed grasp pose for this object (0-based).
        mode: "sim" to act in simulation; "real" is refused (no hardware attached).
        move_to_object: Descend from the pre-grasp pose to the grasp pose.
        move_to_safe_height: Lift to the safe height after the other motions.

    Returns:
        {"success": bool, "object_name", "grasp_id", "pose", "tcp", "holding", "steps", ...};
        on a physical failure {"success": False, "error": "..."}.
    """
    _require_sim(mode)
    with sim_world.world() as w:
        return w.move_to_grasp(object_name, grasp_id, move_to_object, move_to_safe_height)


@mcp.tool()
def control_gripper(state: Literal["open", "close"], mode: Mode = "sim") -> GripperResult:
    """Open or close the parallel gripper.

    Closing at a good pinch grasp pose grasps the object; opening releases
    whatever is held (it drops to the table under the gripper).

    Args:
        state: "open" or "close".
        mode: "sim" to act in simulation; "real" is refused (no hardware attached).

    Returns:
        {"success": True, "state": "open"|"closed", "width_m": float, "holding": str|None, ...}
    """
    _require_sim(mode)
    normalized = state.strip().lower()
    if normalized in ("close", "closed"):
        normalized = "close"
    elif normalized not in ("open", "opened"):
        raise ValueError("state must be 'open' or 'close', got %r" % state)
    else:
        normalized = "open"
    with sim_world.world() as w:
        return w.control_gripper(normalized)


@mcp.tool()
def verify_grasp(object_name: str, mode: Mode = "sim") -> dict:
    """Check with the gripper sensors whether an object is held.

    Args:
        object_name: Object that should be in the gripper.
        mode: "sim" to act in simulation; "real" is refused (no hardware attached).

    Returns:
        {"result": "SUCCESS"|"FAILURE", "object_name", "holding", "gripper_state", "gripper_width_m", ...}
    """
    _require_sim(mode)
    with sim_world.world(write=False) as w:
        return w.verify_grasp(object_name)


@mcp.tool()
def place_object(object_name: str, target: str, mode: Mode = "sim") -> dict:
    """Place the held object onto another object or a named location, then open the gripper.

    Placing "gear" or "block_1" onto "base" assembles it into the base.

    Args:
        object_name: The object currently held.
        target: An object name (e.g. "base") or a location: "table", "bin", "tray".
        mode: "sim" to act in simulation; "real" is refused (no hardware attached).

    Returns:
        {"success": bool, "object_name", "target", "assembled": bool, "position": [x, y, z], ...}
    """
    _require_sim(mode)
    with sim_world.world() as w:
        return w.place_object(object_name, target)


@mcp.tool()
def stop(reason: str = "") -> StopResult:
    """Safe stop: halt all arm and base motion now. Every call is counted.

    Args:
        reason: Why the stop was requested (kept in the robot state).

    Returns:
        {"success": True, "stopped": True, "stop_count": int, "reason": str, "holding": ...}
    """
    with sim_world.world() as w:
        return w.stop(reason)


@mcp.tool()
def get_robot_state() -> dict:
    """Current robot state: arm pose, gripper, held object, mobile base, stop count, sim time."""
    with sim_world.world(write=False) as w:
        return w.robot_state()


@mcp.tool()
def pub_twist(linear: List[float], angular: List[float], duration: float = 0.0) -> TwistResult:
    """Publish a velocity command (geometry_msgs/Twist on /cmd_vel) to the mobile base.

    Args:
        linear: Linear velocity [x, y, z] in m/s, base frame (|xy| <= 1.0).
        angular: Angular velocity [x, y, z] in rad/s (|z| <= 2.0).
        duration: Seconds to keep publishing (0 = one message; the base stops after 0.1 s).

    Returns:
        {"success": True, "topic": "/cmd_vel", "published_for_s": float, "base_pose": {"x", "y", "yaw"}}
    """
    with sim_world.world() as w:
        return w.pub_twist(linear, angular, duration)


@mcp.tool()
def list_objects() -> ObjectList:
    """List the objects in the cell with their poses, sizes, grasp ids and who holds them."""
    with sim_world.world(write=False) as w:
        return w.list_objects()


if __name__ == "__main__":
    mcp.run(os.environ.get("ROBOT_SIM_TRANSPORT", "stdio"))
