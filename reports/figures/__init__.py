"""
The figures of the governors' report, one module per part of the product (`incidents`, `filtering`, `consents`,
`devices`, `policies`); each registers its sections with `@report_section` (`reports.figures.base`).
"""
