from django.core.management.base import BaseCommand

from billing.roi import chart as roi_chart
from licensing.usage import charts

# Each chart's static stylesheet and what writes it. The charts reach the page without
# pygal's inline <style> (the Content-Security-Policy refuses it); these files carry the
# same rules.
STYLESHEETS = [
    (charts.METER_STYLESHEET, charts.meter_stylesheet),
    (roi_chart.STYLESHEET, roi_chart.roi_stylesheet),
]


class Command(BaseCommand):
    help = "Write the charts' stylesheets into static/css (after changing a chart's style)."

    def handle(self, *args, **options):
        for path, build in STYLESHEETS:
            path.write_text(build())
            self.stdout.write(f"Wrote {path}.")
