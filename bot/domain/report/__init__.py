"""The organisers' report: one self-contained HTML file with the programme, participation charts and answers.

``model`` holds what it shows, ``charts`` draws (matplotlib), ``html`` renders (Jinja2).
"""
