# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the preflight role uses: run every preflight rule, and render problems as lines."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.kubelift.cluster.plugins.module_utils.preflight import (
    ERROR,
    WARNING,
    preflight_problems,
    problem_lines,
)


def _problems(hosts, groups=None, context=None):
    if not isinstance(hosts, list) or not all(isinstance(item, dict) and "host" in item and "settings" in item
                                              for item in hosts):
        raise AnsibleFilterError("preflight_problems expects a list of host records with host, settings and facts")
    if groups is not None and not isinstance(groups, dict):
        raise AnsibleFilterError("preflight_problems: groups must be the inventory's groups mapping")
    if context is not None and not isinstance(context, dict):
        raise AnsibleFilterError("preflight_problems: context must be a mapping")
    return preflight_problems(hosts, groups, context)


def _lines(problems, level=ERROR):
    if level not in (ERROR, WARNING):
        raise AnsibleFilterError("preflight_lines: level must be %s or %s, not %r" % (ERROR, WARNING, level))
    if not isinstance(problems, list):
        raise AnsibleFilterError("preflight_lines expects the list that preflight_problems returns")
    return problem_lines(problems, level)


class FilterModule(object):
    """kubelift.cluster preflight filters."""

    def filters(self):
        return {
            "preflight_problems": _problems,
            "preflight_lines": _lines,
        }
