"""Pick-and-place demo: assemble block_1 and the gear onto the base, then tidy a mug (object_3) into the tray.

One policy, three servers, no agent round-trips: it asks Resources which grasps
worked before, tries those first, checks every grasp with the gripper's
sensors, restores the simulated scene after a failed attempt, places what it
holds, and records what happened. Run it with:  ./scripts/demo
"""
from unified_api import *

isaac_sim__reset_scene()
ros_mcp_server__move_home()

# Where each object goes, and the assembly it belongs to in the Resources server.
PLAN = [("block_1", "base", "1"), ("gear", "base", "3"), ("object_3", "tray", None)]
MAX_GRASPS = 6


def candidate_grasps(obj, assembly):
    """Grasps that worked before first (from Resources), then every other id with both gripper states."""
    known = []
    if assembly:
        for cfg in Resources__get_object_grasp_configs_by_result(assembly_id=assembly, object_name=obj, result="SUCCESS"):
            known.append((cfg["grasp_id"], cfg["gripper_state"]))
    rest = [(g, s) for g in range(MAX_GRASPS) for s in ("open", "close") if (g, s) not in known]
    return known + rest


def try_grasp(obj, grasp_id, gripper):
    """One attempt: approach with the gripper in `gripper` state, close if open, verify. True when held."""
    ros_mcp_server__control_gripper(gripper)
    try:
        move = ros_mcp_server__move_to_grasp(object_name=obj, grasp_id=grasp_id, move_to_object=True)
    except ToolError:
        return None  # no such grasp id for this object: stop trying higher ids
    if not move.get("success"):
        return False
    if gripper == "open":
        ros_mcp_server__control_gripper("close")
    return ros_mcp_server__verify_grasp(obj)["result"] == "SUCCESS"


report = []
for obj, target, assembly in PLAN:
    checkpoint = isaac_sim__save_scene_state(label=f"before {obj}")
    trials, held = [], None
    for grasp_id, gripper in candidate_grasps(obj, assembly):
        ok = try_grasp(obj, grasp_id, gripper)
        if ok is None:
            continue
        trials.append({"trial_id": len(trials) + 1, "grasp_id": grasp_id, "gripper_state": gripper,
                       "tools": ["move_to_grasp", "verify_grasp"], "result": "SUCCESS" if ok else "FAILURE"})
        if ok:
            held = (grasp_id, gripper)
            break
        isaac_sim__restore_scene_state(checkpoint)  # put the object and gripper back, then try the next grasp
    if held is None:
        print(f"✗ {obj}: no grasp worked after {len(trials)} trials")
        report.append((obj, "failed", len(trials)))
        continue
    ros_mcp_server__move_to_grasp(object_name=obj, grasp_id=held[0], move_to_safe_height=True)
    placed = ros_mcp_server__place_object(obj, target)
    how = "assembled into" if placed.get("assembled") else "placed on"
    print(f"✓ {obj}: grasp {held[0]} (gripper {held[1]}) after {len(trials)} trial(s), {how} {target}")
    if assembly:
        Resources__write_assembly_resource(assembly_id=assembly, object_name=obj, sequence_id=len(report) + 1,
                                           assembled_into=target, tools_trials=trials)
    report.append((obj, target, len(trials)))

ros_mcp_server__move_home()
done = sum(1 for _, where, _ in report if where != "failed")
print(f"\n{done}/{len(PLAN)} objects placed, {sum(n for _, _, n in report)} grasp trials in one policy run")
