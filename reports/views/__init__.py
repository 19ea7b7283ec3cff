"""
The governors' report pages: a school's (`reports.views.school`) and a trust's (`reports.views.trust`), under the one
`reports` namespace.
"""
